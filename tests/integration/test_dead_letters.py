"""Bad messages are parked with their reason; failing handlers retry, then park; the
consumer keeps going; an operator can list and replay what was parked."""

from __future__ import annotations

import json
import uuid

from kombu import Producer

from shared.messaging import deadletters
from shared.messaging.connection import broker_connection
from shared.messaging.inbox import Disposition
from shared.messaging.topology import Topology


def _publish(settings, body, routing_key="client.onboarded") -> None:
    # Confirmed, so the message is in its queue before the test consumes.
    with broker_connection(settings, confirm_publish=True) as connection:
        Producer(connection.default_channel).publish(
            body,
            exchange=Topology(settings).events,
            routing_key=routing_key,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
        )


def _onboarded_envelope(tenant_id: str, **data_overrides) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": "client.onboarded",
        "version": 1,
        "tenant_id": tenant_id,
        "occurred_at": "2026-11-23T10:00:00+00:00",
        "producer": "intake",
        "data": {
            "client_id": str(uuid.uuid4()),
            "coach_id": str(uuid.uuid4()),
            "timezone": "Europe/London",
            "contact": {
                "given_name": "Sam",
                "email": "sam@example.net",
                "timezone": "Europe/London",
                "consent": {"email": True, "sms": False},
            },
            "assessment": {
                "version": 1,
                "domain_ratings": {"housing": 5},
                "aspirations": [{"domain": "housing", "text": "Find a stable flat"}],
            },
        }
        | data_overrides,
    }


def _plan_count(system) -> int:
    from sqlalchemy import func, select

    from services.plans.models import RecoveryPlan

    with system.runtimes["plans"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(RecoveryPlan))


def test_malformed_and_invalid_messages_are_dead_lettered_and_the_consumer_goes_on(
    system, settings
):
    tenant_id = str(uuid.uuid4())
    _publish(settings, b"{this is not json")
    invalid = _onboarded_envelope(tenant_id)
    del invalid["data"]["coach_id"]
    invalid["data"]["assessment"]["domain_ratings"] = {"housing": 11}
    _publish(settings, json.dumps(invalid).encode())
    _publish(settings, json.dumps(_onboarded_envelope(tenant_id)).encode())

    assert system.consume("plans") == 3
    system.relay()  # dead letters leave through the outbox too

    assert _plan_count(system) == 1
    parked = deadletters.peek(settings, "plans")
    reasons = sorted(letter.reason for letter in parked)
    assert len(parked) == 2
    assert reasons[0].startswith("invalid client.onboarded v1 payload")
    assert "coach_id" in reasons[0] and "domain_ratings" in reasons[0]
    assert reasons[1].startswith("undecodable body")
    # peek leaves them parked
    assert len(deadletters.peek(settings, "plans")) == 2


def test_unknown_event_type_is_acknowledged_and_ignored(system, settings):
    envelope = _onboarded_envelope(str(uuid.uuid4()))
    envelope["type"] = "client.teleported"
    processor = system.processors["plans"]
    assert processor.process(json.dumps(envelope).encode(), {}) is Disposition.IGNORED
    assert system.relay() == 0


def test_failing_handler_is_retried_with_backoff_then_parked_with_the_error(
    system, settings, monkeypatch
):
    calls = []

    def broken(envelope, uow):
        calls.append(envelope.id)
        raise RuntimeError("plan store unavailable")

    monkeypatch.setitem(system.processors["plans"].handlers, "client.onboarded", broken)
    _publish(settings, json.dumps(_onboarded_envelope(str(uuid.uuid4()))).encode())
    system.settle()

    assert len(calls) == settings.max_delivery_attempts == 3
    [letter] = deadletters.peek(settings, "plans")
    assert letter.reason == "RuntimeError: plan store unavailable"
    assert letter.attempts == 3
    assert _plan_count(system) == 0

    # The operator fixes the cause and replays: the plan is drafted, the queue is empty.
    monkeypatch.undo()
    assert deadletters.replay(settings, "plans", letter.message_id) == 1
    system.settle()
    assert _plan_count(system) == 1
    assert deadletters.peek(settings, "plans") == []


def test_handler_failing_once_succeeds_on_retry_without_a_dead_letter(
    system, settings, monkeypatch
):
    from services.plans.drafting import draft_plan_from_onboarding

    failures = iter([RuntimeError("deadlock detected")])

    def flaky(envelope, uow):
        error = next(failures, None)
        if error:
            raise error
        return draft_plan_from_onboarding(envelope, uow)

    monkeypatch.setitem(system.processors["plans"].handlers, "client.onboarded", flaky)
    _publish(settings, json.dumps(_onboarded_envelope(str(uuid.uuid4()))).encode())
    system.settle()

    assert _plan_count(system) == 1
    assert deadletters.peek(settings, "plans") == []


def test_a_batch_with_a_bad_message_still_handles_the_good_ones_exactly_once(
    system, settings, monkeypatch
):
    from services.plans.drafting import draft_plan_from_onboarding

    tenant_id = str(uuid.uuid4())
    good = [json.dumps(_onboarded_envelope(tenant_id)).encode() for _ in range(3)]
    poisoned = _onboarded_envelope(tenant_id)

    def picky(envelope, uow):
        if str(envelope.id) == poisoned["id"]:
            raise RuntimeError("cannot draft this one")
        return draft_plan_from_onboarding(envelope, uow)

    monkeypatch.setitem(system.processors["plans"].handlers, "client.onboarded", picky)
    batch = [
        (good[0], {}),
        (good[1], {}),
        (good[0], {}),  # a duplicate inside the batch
        (json.dumps(poisoned).encode(), {}),
        (b"not json", {}),
        (good[2], {}),
    ]
    outcomes = system.processors["plans"].process_batch(batch)

    assert outcomes == [
        Disposition.PROCESSED,
        Disposition.PROCESSED,
        Disposition.DUPLICATE,
        Disposition.RETRY_SCHEDULED,
        Disposition.DEAD_LETTERED,
        Disposition.PROCESSED,
    ]
    assert _plan_count(system) == 3
    # Delivered again as a whole: nothing new happens.
    again = system.processors["plans"].process_batch([(g, {}) for g in good])
    assert again == [Disposition.DUPLICATE] * 3
    assert _plan_count(system) == 3


def test_a_clean_batch_commits_once(system, settings, monkeypatch):
    from shared.db import UnitOfWork

    commits = []
    original = UnitOfWork.commit

    def counting(self):
        commits.append(1)
        return original(self)

    monkeypatch.setattr(UnitOfWork, "commit", counting)
    tenant_id = str(uuid.uuid4())
    batch = [(json.dumps(_onboarded_envelope(tenant_id)).encode(), {}) for _ in range(5)]
    assert system.processors["plans"].process_batch(batch) == [Disposition.PROCESSED] * 5
    assert len(commits) == 1
    assert _plan_count(system) == 5


def test_a_dead_letter_keeps_the_event_id_of_an_invalid_message(system, settings):
    invalid = _onboarded_envelope(str(uuid.uuid4()))
    invalid["data"]["assessment"]["domain_ratings"] = {"housing": 11}
    _publish(settings, json.dumps(invalid).encode())
    assert system.consume("plans") == 1
    system.relay()
    [letter] = deadletters.peek(settings, "plans")
    assert str(letter.message_id) == invalid["id"]
