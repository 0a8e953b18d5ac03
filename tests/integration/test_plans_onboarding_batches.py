"""Onboardings handled by the hundred in one consumer batch: a plan drafted early in a
batch is reached by later events of the same batch about that client (an update, an
erasure, a second onboarding), and a redelivered onboarding drafts no second plan."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from services.plans.bootstrap import build_runtime
from services.plans.models import ClientProfile, Goal, Outbox, RecoveryPlan
from shared.events.payloads import phone_hash
from shared.messaging.inbox import Disposition

CONTACT = {
    "given_name": "Sam",
    "email": "sam@example.net",
    "timezone": "Europe/London",
    "consent": {"email": True, "sms": False},
}


@pytest.fixture
def plans(settings):
    runtime = build_runtime(settings)
    runtime.migrate()
    yield runtime
    runtime.engine.dispose()


def _body(event_type: str, tenant_id, data: dict, at: str = "2026-11-23T10:00:00+00:00") -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "tenant_id": str(tenant_id),
            "occurred_at": at,
            "producer": "intake",
            "data": data,
        }
    ).encode()


def _onboarded(tenant_id, client_id, ratings=None, version=1, aspirations=2) -> bytes:
    return _body(
        "client.onboarded",
        tenant_id,
        {
            "client_id": str(client_id),
            "coach_id": str(uuid.uuid4()),
            "timezone": "Europe/London",
            "contact": CONTACT,
            "assessment": {
                "version": version,
                "domain_ratings": ratings or {"housing": 5},
                "aspirations": [
                    {"domain": "housing", "text": f"Aspiration {i}"} for i in range(aspirations)
                ],
            },
        },
    )


def _plans_of(runtime, client_id) -> list[RecoveryPlan]:
    with runtime.session_factory() as session:
        stmt = select(RecoveryPlan).where(RecoveryPlan.client_id == client_id)
        return list(session.scalars(stmt.order_by(RecoveryPlan.assessment_version)))


def _goal_titles(runtime, plan_id) -> list[str]:
    with runtime.session_factory() as session:
        stmt = select(Goal.title).where(Goal.plan_id == plan_id).order_by(Goal.position)
        return list(session.scalars(stmt))


def test_an_update_later_in_the_batch_reaches_the_plan_drafted_earlier(plans):
    tenant, client, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    new_coach = uuid.uuid4()
    batch = [
        (_onboarded(tenant, client), {}),
        (_onboarded(tenant, other), {}),
        (
            _body(
                "client.updated",
                tenant,
                {
                    "client_id": str(client),
                    "changed": ["timezone", "coach"],
                    "coach_id": str(new_coach),
                    "contact": CONTACT | {"timezone": "Pacific/Auckland"},
                },
                at="2026-11-23T10:05:00+00:00",
            ),
            {},
        ),
    ]
    assert plans.inbox_processor().process_batch(batch) == [Disposition.PROCESSED] * 3

    [plan] = _plans_of(plans, client)
    assert (plan.timezone, plan.coach_id, plan.status) == ("Pacific/Auckland", new_coach, "draft")
    assert _goal_titles(plans, plan.id) == ["Aspiration 0", "Aspiration 1"]
    [untouched] = _plans_of(plans, other)
    assert untouched.timezone == "Europe/London"
    with plans.session_factory() as session:
        created = session.scalars(select(Outbox).where(Outbox.routing_key == "plan.created"))
        announced = {json.loads(row.body)["data"]["plan_id"] for row in created}
    assert announced == {str(plan.id), str(untouched.id)}


def test_an_erasure_later_in_the_batch_erases_the_plan_drafted_earlier(plans):
    tenant, client = uuid.uuid4(), uuid.uuid4()
    batch = [
        (_onboarded(tenant, client), {}),
        (_body("client.erased", tenant, {"client_id": str(client)}), {}),
    ]
    assert plans.inbox_processor().process_batch(batch) == [Disposition.PROCESSED] * 2

    [plan] = _plans_of(plans, client)
    assert (plan.status, plan.closed_reason, plan.baseline_ratings) == ("closed", "erased", {})
    assert _goal_titles(plans, plan.id) == ["[erased]", "[erased]"]


def test_a_second_onboarding_in_the_batch_is_the_newest_assessment_of_the_first_plan(plans):
    tenant, client = uuid.uuid4(), uuid.uuid4()
    batch = [
        (_onboarded(tenant, client, {"housing": 5}, version=1), {}),
        (_onboarded(tenant, client, {"housing": 8}, version=2, aspirations=1), {}),
    ]
    assert plans.inbox_processor().process_batch(batch) == [Disposition.PROCESSED] * 2

    first, second = _plans_of(plans, client)
    assert (first.baseline_ratings, first.latest_ratings) == ({"housing": 5}, {"housing": 8})
    assert first.latest_assessment_version == 2
    assert second.baseline_ratings == {"housing": 8}
    assert len(_goal_titles(plans, second.id)) == 1


def test_a_redelivered_onboarding_drafts_one_plan(plans):
    tenant, client = uuid.uuid4(), uuid.uuid4()
    body = _onboarded(tenant, client)
    processor = plans.inbox_processor()

    assert processor.process_batch([(body, {}), (body, {})]) == [
        Disposition.PROCESSED,
        Disposition.DUPLICATE,
    ]
    assert processor.process_batch([(body, {}), (_onboarded(tenant, uuid.uuid4()), {})]) == [
        Disposition.DUPLICATE,
        Disposition.PROCESSED,
    ]
    assert processor.process(body, {}) == Disposition.DUPLICATE
    assert len(_plans_of(plans, client)) == 1


def _profile(runtime, tenant, client) -> ClientProfile | None:
    with runtime.session_factory() as session:
        return session.get(ClientProfile, (tenant, client))


def test_the_profile_drafted_in_a_batch_follows_a_later_update_and_ignores_an_older_one(plans):
    tenant, client = uuid.uuid4(), uuid.uuid4()
    updated = {
        "client_id": str(client),
        "changed": ["preferred_name", "family_name"],
        "contact": CONTACT | {"preferred_name": "Sammy"},
        "family_name": "Doe",
    }
    batch = [
        (_onboarded(tenant, client), {}),
        (_body("client.updated", tenant, updated, at="2026-11-23T10:05:00+00:00"), {}),
        (
            _body(
                "client.updated",
                tenant,
                updated | {"family_name": "Old"},
                at="2026-11-23T09:00:00+00:00",
            ),
            {},
        ),
    ]
    assert plans.inbox_processor().process_batch(batch) == [Disposition.PROCESSED] * 3

    profile = _profile(plans, tenant, client)
    assert (profile.given_name, profile.preferred_name, profile.family_name) == (
        "Sam",
        "Sammy",
        "Doe",
    )
    assert profile.external_reference is None
    assert profile.as_of.isoformat() == "2026-11-23T10:05:00+00:00"


def test_an_erasure_later_in_the_batch_removes_the_profile_drafted_earlier(plans):
    tenant, client, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    batch = [
        (_onboarded(tenant, client), {}),
        (_onboarded(tenant, other), {}),
        (_body("client.erased", tenant, {"client_id": str(client)}), {}),
    ]
    assert plans.inbox_processor().process_batch(batch) == [Disposition.PROCESSED] * 3

    assert _profile(plans, tenant, client) is None
    assert _profile(plans, tenant, other).given_name == "Sam"


def _phone_confirmed(tenant, client, phone: str, at: str) -> bytes:
    data = {
        "client_id": str(client),
        "confirmed": True,
        "changed_at": at,
        "phone_hash": phone_hash(tenant, phone),
    }
    body = json.loads(_body("contact.phone_confirmed", tenant, data))
    return json.dumps(body | {"producer": "notifications"}).encode()


def test_a_confirmation_in_the_batch_reaches_the_profile_drafted_earlier_not_an_erased_one(
    plans,
):
    tenant, client, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    phone = "+447700900123"
    with_phone = json.loads(_onboarded(tenant, client))
    with_phone["data"]["contact"] = CONTACT | {"phone": phone}
    batch = [
        (json.dumps(with_phone).encode(), {}),
        (_phone_confirmed(tenant, client, phone, "2026-11-23T10:01:00+00:00"), {}),
        (_onboarded(tenant, erased), {}),
        (_body("client.erased", tenant, {"client_id": str(erased)}), {}),
        (_phone_confirmed(tenant, erased, phone, "2026-11-23T10:02:00+00:00"), {}),
    ]
    assert plans.inbox_processor().process_batch(batch) == [Disposition.PROCESSED] * 5

    profile = _profile(plans, tenant, client)
    assert profile.phone_confirmed_at.isoformat() == "2026-11-23T10:01:00+00:00"
    assert profile.phone_hash == phone_hash(tenant, phone)
    assert _profile(plans, tenant, erased) is None
