"""How the fault suite judges one journey from what it observed: a missing effect is
lost, a second one is a duplicate, and only an email re-sent with the same Message-ID
after a dispatcher kill is explained."""

from __future__ import annotations

from collections import Counter

from bench.chaos.journeys import Journey
from bench.chaos.suite import Observation, journey_state

CLIENT = "c1"


def _journey(channel="email") -> Journey:
    address = "client1@chaos.example.net" if channel == "email" else "+61412000001"
    return Journey(1, "fault", channel, address, 0.0, client_id=CLIENT, onboarded_at=1.0)


def _seen(*, plans=1, digests=1, welcome=("sent", None), emails=None, refused=0, texts=0):
    return Observation(
        plans=Counter({CLIENT: plans}),
        welcome={CLIENT: welcome} if welcome else {},
        digests=Counter({CLIENT: digests}),
        emails={"client1@chaos.example.net": emails} if emails is not None else {},
        refused_emails=Counter({"client1@chaos.example.net": refused}),
        texts=Counter({"+61412000001": texts}),
    )


def test_a_journey_with_every_effect_once_is_done():
    state = journey_state(_journey(), _seen(emails=["<a@x>"]), explains_resend=False)
    assert state == {"done": True, "duplicated": 0, "explained": 0, "missing": []}


def test_a_welcome_marked_sent_that_no_provider_received_is_lost():
    state = journey_state(_journey("sms"), _seen(texts=0), explains_resend=False)
    assert not state["done"]
    assert state["missing"] == ["welcome (sent, 0 delivered)"]


def test_a_missing_plan_or_digest_is_lost():
    state = journey_state(_journey(), _seen(plans=0, digests=0, emails=["<a@x>"]), False)
    assert not state["done"] and state["missing"] == ["plan", "digest"]


def test_second_plan_and_second_sms_are_duplicates():
    state = journey_state(_journey("sms"), _seen(plans=2, texts=2), explains_resend=True)
    assert state["duplicated"] == 2 and state["explained"] == 0


def test_an_email_resent_with_the_same_message_id_is_explained_only_after_a_dispatcher_kill():
    seen = _seen(emails=["<a@x>", "<a@x>"])
    assert journey_state(_journey(), seen, explains_resend=True)["explained"] == 1
    assert journey_state(_journey(), seen, explains_resend=False)["duplicated"] == 1
    other = _seen(emails=["<a@x>", "<b@x>"])
    assert journey_state(_journey(), other, explains_resend=True)["duplicated"] == 1


def test_a_welcome_refused_for_good_by_smtp_is_an_outcome_not_a_loss():
    seen = _seen(welcome=("failed", "SMTP 554: message refused"), emails=None, refused=1)
    assert journey_state(_journey(), seen, explains_resend=False)["done"]
    unrefused = _seen(welcome=("failed", "SMTP 554: message refused"), emails=None, refused=0)
    assert not journey_state(_journey(), unrefused, explains_resend=False)["done"]
