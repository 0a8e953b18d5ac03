"""A client's signed links end when the relationship does: after a discharge they open a
small kind page (410) with nothing of the client on it, after an erasure nothing (404);
a link handed out from another link never outlives it; a link works only while the
address it was sent to is the client's. None of these records anything."""

from __future__ import annotations

import re
import uuid

import pytest
from itsdangerous import URLSafeSerializer

from services.notifications.client_web.links import PAGE_SALT, REPLY_SALT, page_token
from tests.support.client_links import (
    assert_private_page,
    links,
    received_replies,
    replied,
    send_mood_prompt,
    send_reminder,
)
from tests.support.notifications import contact_details

GIVEN, PREFERRED = "Marigold", "Goldie"
HELP_CONTACT = "02 9999 0000"
PAGE_LINK = re.compile(r'href="(/me/[A-Za-z0-9_.\-]+)"')


@pytest.fixture
def organisation(notifications):
    """An organisation with a name, a help contact and a coach."""
    n = notifications
    tenant = uuid.uuid4()
    coach = n.staff(tenant, organisation_name="Harbour Recovery Services")
    settings = n.call(
        "PUT",
        "/v1/organisation/notification-settings",
        n.token(tenant),
        json={"help_contact": HELP_CONTACT},
    )
    assert settings.status_code == 200, settings.json
    return tenant, coach


def _onboard(n, tenant, coach, email="marigold@example.net"):
    """A client who has had their welcome email (when they have an address)."""
    client = n.onboard(
        tenant,
        coach_id=coach,
        given_name=GIVEN,
        preferred_name=PREFERRED,
        email=email,
        phone=None,
        consent={"email": True, "sms": False},
    )
    n.dispatch()
    return client


def _every_link(n, tenant, client, smtp):
    """A client's links of every kind, from the emails sent to them: an "I did it" link,
    a rating link (2 of 10) and their page, with the reminder's step."""
    action_id, key = send_reminder(n, tenant, client)
    [done] = links(smtp.messages[-1], "/r/")
    [page] = links(smtp.messages[-1], "/me/")
    send_mood_prompt(n, tenant, client)
    rating = links(smtp.messages[-1], "/r/")[1]
    return done, rating, page, {"action_id": action_id, "occurrence_key": key}


def _tries(done, rating, page, step):
    """Every way in through these links: a GET and a POST of each."""
    journal = {"text": "I want to end it all", "form_id": uuid.uuid4()}
    return [
        ("GET", done, None),
        ("POST", done, None),
        ("GET", rating, None),
        ("POST", rating, None),
        ("GET", page, None),
        ("POST", page + "/done", step),
        ("POST", page + "/mood", {"rating": "2", "form_id": uuid.uuid4()}),
        ("POST", page + "/journal", journal),
    ]


def _claims(n, token: str, salt: str) -> dict:
    return URLSafeSerializer(n.settings.jwt_secret, salt=salt).loads(token)


def _shows_nothing_of_the_client(body: str) -> None:
    assert GIVEN not in body and PREFERRED not in body
    assert "marigold@" not in body and "Morning walk" not in body


def test_a_discharged_clients_links_open_a_kind_410_page_and_record_nothing(
    notifications, organisation, smtp
):
    n = notifications
    tenant, coach = organisation
    client = _onboard(n, tenant, coach)
    done, rating, page, step = _every_link(n, tenant, client, smtp)
    assert n.http.get(page).status_code == 200
    n.event(
        "client.discharged",
        tenant,
        {"client_id": client, "reason": "completed", "discharged_at": n.clock()},
    )

    for method, path, form in _tries(done, rating, page, step):
        closed = n.http.open(path, method=method, data=form)
        body = closed.get_data(as_text=True)
        assert closed.status_code == 410, (method, path)
        assert "This service has ended" in body
        _shows_nothing_of_the_client(body)
        # Where to get help: the organisation's contact and a crisis line, tap to call.
        assert 'Harbour Recovery Services: <a href="tel:0299990000">02 9999 0000</a>' in body
        assert '<a href="tel:131114">13 11 14</a>' in body
        assert "/me/" not in body  # no way back in
        assert_private_page(closed)
    assert replied(n) == []
    assert received_replies(n) == 0
    n.dispatch()
    assert n.nudges(client, "crisis_text") == []


def test_an_erased_clients_links_get_404_and_record_nothing_even_after_a_discharge(
    notifications, organisation, smtp
):
    n = notifications
    tenant, coach = organisation
    client = _onboard(n, tenant, coach)
    done, rating, page, step = _every_link(n, tenant, client, smtp)
    n.event(
        "client.discharged",
        tenant,
        {"client_id": client, "reason": "completed", "discharged_at": n.clock()},
    )
    n.event("client.erased", tenant, {"client_id": client})

    for method, path, form in _tries(done, rating, page, step):
        gone = n.http.open(path, method=method, data=form)
        body = gone.get_data(as_text=True)
        assert gone.status_code == 404, (method, path)
        assert "no longer valid" in body and "This service has ended" not in body
        _shows_nothing_of_the_client(body)
    assert replied(n) == []
    assert received_replies(n) == 0


def test_replaying_an_answer_link_never_hands_out_a_page_link_that_outlives_it(
    notifications, organisation, smtp
):
    n = notifications
    tenant, coach = organisation
    client = _onboard(n, tenant, coach)
    send_reminder(n, tenant, client)
    [done] = links(smtp.messages[-1], "/r/")
    done_expires = _claims(n, done.removeprefix("/r/"), REPLY_SALT)["e"]

    n.clock.advance(days=6)
    handed_out = []
    for _ in range(3):  # the first answer, then replays ("Already noted")
        answered = n.http.post(done).get_data(as_text=True)
        [page] = PAGE_LINK.findall(answered)
        handed_out.append(page)
        assert _claims(n, page.removeprefix("/me/"), PAGE_SALT)["e"] <= done_expires
    assert "Already noted" in answered

    # Once the answer link has expired, so has every page link it handed out.
    n.clock.advance(days=1, minutes=1)
    assert n.http.post(done).status_code == 410
    for page in handed_out:
        assert n.http.get(page).status_code == 410
        refused = n.http.post(page + "/mood", data={"rating": "5", "form_id": uuid.uuid4()})
        assert refused.status_code == 410
    assert len(replied(n)) == 1


def test_a_new_email_address_closes_the_links_sent_to_the_old_one(
    notifications, organisation, smtp
):
    n = notifications
    tenant, coach = organisation
    client = _onboard(n, tenant, coach, email="marigold@old.example")
    done, rating, page, step = _every_link(n, tenant, client, smtp)
    assert n.http.get(page).status_code == 200

    n.update(
        tenant,
        client,
        ["contact.email"],
        coach_id=coach,
        given_name=GIVEN,
        preferred_name=PREFERRED,
        email="marigold@new.example",
        phone=None,
        consent={"email": True, "sms": False},
    )
    for method, path, form in _tries(done, rating, page, step):
        closed = n.http.open(path, method=method, data=form)
        body = closed.get_data(as_text=True)
        assert closed.status_code == 410, (method, path)
        assert "This link has expired" in body
        _shows_nothing_of_the_client(body)
    assert replied(n) == []
    assert received_replies(n) == 0

    # The links of an email to the new address work.
    n.clock.advance(days=1)  # past today's cap of three messages
    send_mood_prompt(n, tenant, client)
    assert smtp.messages[-1]["To"] == "marigold@new.example"
    [new_page] = links(smtp.messages[-1], "/me/")
    assert f"Hi {PREFERRED}" in n.http.get(new_page).get_data(as_text=True)
    assert n.http.post(links(smtp.messages[-1], "/r/")[6]).status_code == 200
    assert [r["rating"] for r in replied(n)] == [7]


def test_a_link_made_for_a_client_without_email_works_only_while_they_have_none(
    notifications, organisation
):
    n = notifications
    tenant, coach = organisation
    client = _onboard(n, tenant, coach, email=None)
    page = "/me/" + page_token(n.settings.jwt_secret, n.clock(), tenant, client, email=None)
    assert n.http.get(page).status_code == 200

    details = contact_details(given_name=GIVEN, preferred_name=PREFERRED, phone=None)
    n.update(tenant, client, ["contact.email"], coach_id=coach, **details)
    assert n.http.get(page).status_code == 410
