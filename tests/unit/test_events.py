"""The envelope and the catalogue: what producers may emit and consumers accept."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from coaching.registry import SERVICES, producers
from shared.events import CATALOGUE, InvalidEvent, new_envelope, parse_envelope

AT = datetime(2031, 5, 17, 3, 14, 15, tzinfo=UTC)  # when the events happened


def _referred(**contact):
    return {
        "client_id": uuid.uuid4(),
        "contact": {
            "given_name": "Ana",
            "timezone": "UTC",
            "consent": {"email": False, "sms": False},
        }
        | contact,
    }


def test_envelope_round_trips_through_json():
    tenant = uuid.uuid4()
    envelope = new_envelope(
        "client.referred",
        tenant,
        _referred(),
        producer="intake",
        correlation_id="req-1",
        occurred_at=AT,
    )
    parsed = parse_envelope(json.dumps(envelope).encode())
    assert parsed.type == "client.referred" and parsed.version == 1
    assert parsed.tenant_id == tenant
    assert parsed.correlation_id == "req-1"
    assert parsed.occurred_at.tzinfo is not None
    assert parsed.data.contact.locale == "en"


def test_producer_cannot_emit_an_invalid_payload():
    with pytest.raises(Exception, match="email"):
        new_envelope(
            "client.referred",
            uuid.uuid4(),
            _referred(email="not-an-email"),
            producer="intake",
            occurred_at=AT,
        )


def test_a_producer_cannot_emit_a_field_its_schema_lacks():
    with pytest.raises(ValueError, match="no field"):
        new_envelope(
            "client.referred",
            uuid.uuid4(),
            _referred() | {"nickname": "A"},
            producer="intake",
            occurred_at=AT,
        )


def test_a_consumer_reads_an_event_from_a_newer_producer_ignoring_fields_it_does_not_know():
    """A rolling deploy: the producer adds optional fields, at the top and nested, before
    this consumer is upgraded; the event is read, not dead-lettered."""
    envelope = new_envelope(
        "client.referred", uuid.uuid4(), _referred(), producer="intake", occurred_at=AT
    )
    envelope["data"]["pronouns"] = "they/them"
    envelope["data"]["contact"]["second_phone"] = "+61400000000"
    parsed = parse_envelope(json.dumps(envelope).encode())
    assert not hasattr(parsed.data, "pronouns")
    assert not hasattr(parsed.data.contact, "second_phone")
    assert parsed.data.contact.given_name == "Ana"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.pop("tenant_id"), "invalid envelope"),
        (lambda e: e.update(version=9), "unknown version 9"),
        (lambda e: e.update(id="nope"), "invalid envelope"),
        (lambda e: e["data"].pop("client_id"), "invalid client.referred v1 payload"),
        (lambda e: e.update(producer="Billing Dept."), "invalid envelope"),
    ],
)
def test_invalid_envelopes_are_rejected_with_a_reason(mutate, reason):
    envelope = new_envelope(
        "client.referred", uuid.uuid4(), _referred(), producer="intake", occurred_at=AT
    )
    mutate(envelope)
    with pytest.raises(InvalidEvent, match=reason):
        parse_envelope(json.dumps(envelope))


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b"[1, 2]", b"null"])
def test_undecodable_bodies_are_rejected(body):
    with pytest.raises(InvalidEvent):
        parse_envelope(body)


def test_a_mood_prompt_time_with_a_trailing_newline_is_an_invalid_payload():
    def mood_prompts_set(local_time: str) -> str:
        data = {"plan_id": str(uuid.uuid4()), "client_id": str(uuid.uuid4())}
        envelope = new_envelope(
            "plan.mood_prompts_set",
            uuid.uuid4(),
            data | {"weekdays": ["mon"], "local_time": "18:00"},
            producer="plans",
            occurred_at=AT,
        )
        envelope["data"]["local_time"] = local_time  # as a faulty producer might send it
        return json.dumps(envelope)

    assert parse_envelope(mood_prompts_set("18:00")).data.local_time == "18:00"
    with pytest.raises(InvalidEvent, match="invalid plan.mood_prompts_set v1 payload"):
        parse_envelope(mood_prompts_set("18:00\n"))


def test_unknown_event_type_parses_as_unknown():
    envelope = new_envelope(
        "client.referred", uuid.uuid4(), _referred(), producer="intake", occurred_at=AT
    )
    envelope["type"] = "client.teleported"
    assert parse_envelope(json.dumps(envelope)).known is False


def test_onboarding_reaches_plans_and_notifications_and_no_service_consumes_its_own_events():
    assert "client.onboarded" in SERVICES["plans"].subscriptions
    assert "client.onboarded" in SERVICES["notifications"].subscriptions
    assert "client.onboarded" not in SERVICES["intake"].subscriptions
    for service in SERVICES.values():
        assert not set(service.publishes) & set(service.subscriptions), service.name


def test_every_catalogued_event_has_exactly_one_producer_and_producers_publish_catalogued_events():
    published = [event for service in SERVICES.values() for event in service.publishes]
    assert sorted(published) == sorted(CATALOGUE)
    assert producers().keys() == CATALOGUE.keys()


def test_staff_access_changes_reach_every_service_that_checks_tokens_without_personal_data():
    assert "staff.access_changed" in SERVICES["plans"].subscriptions
    assert "staff.access_changed" in SERVICES["notifications"].subscriptions
    envelope = new_envelope(
        "staff.access_changed",
        uuid.uuid4(),
        {"staff_id": uuid.uuid4(), "role": "coach", "active": False, "tokens_valid_after": None},
        producer="intake",
        occurred_at=AT,
    )
    assert set(envelope["data"]) == {"staff_id", "role", "active", "tokens_valid_after"}
    assert parse_envelope(json.dumps(envelope)).data.active is False
