"""The client journey through the three services, stepped in-process on real infrastructure."""

from __future__ import annotations

from sqlalchemy import func, select


def test_onboarding_drafts_a_plan_and_sends_exactly_one_welcome_email(api, tenant, system, smtp):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])

    system.settle()

    plans = api.plans_of(tenant["token"], client["id"])
    assert len(plans) == 1
    plan = plans[0]
    assert plan["status"] == "draft"
    assert [g["title"] for g in plan["goals"]] == [
        "Join a community garden group",
        "Keep a regular morning routine",
    ]
    assert {g["status"] for g in plan["goals"]} == {"proposed"}
    assert plan["baseline_ratings"] == {"mental_health": 4, "social_connection": 3, "housing": 7}

    assert len(smtp.messages) == 1
    email = smtp.messages[0]
    assert email["To"] == "jo.rivers@example.net"
    # Intake's staff.created named the organisation; notifications signs off with it.
    assert email["Subject"] == "Welcome to Harbour Recovery Services, Jo"

    nudges = api.nudges_of(tenant["token"], client["id"])
    assert sorted((n["kind"], n["channel"], n["state"]) for n in nudges) == [
        ("weekly_digest", "email", "scheduled"),  # Sunday 17:00 in the client's timezone
        ("welcome", "email", "sent"),
    ]


def test_plan_is_visible_through_get_by_id_and_not_to_another_tenant(api, tenant, system):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    system.settle()
    plan = api.plans_of(tenant["token"], client["id"])[0]

    mine = api.call("plans", "GET", f"/v1/plans/{plan['id']}", tenant["token"])
    assert mine.status == 200 and mine.body["client_id"] == client["id"]

    _, other_token = api.new_tenant("Another Provider")
    theirs = api.call("plans", "GET", f"/v1/plans/{plan['id']}", other_token)
    assert theirs.status == 404
    assert api.plans_of(other_token, client["id"]) == []


def test_welcome_is_suppressed_without_consent(api, tenant, system, smtp):
    client = api.onboarded_client(
        tenant["token"], tenant["staff_id"], consent={"email": False, "sms": False}
    )
    system.settle()
    assert smtp.messages == []
    nudges = api.nudges_of(tenant["token"], client["id"])
    assert [(n["kind"], n["state"], n["reason"]) for n in nudges if n["kind"] == "welcome"] == [
        ("welcome", "suppressed", "no_consent")
    ]


def test_onboarded_event_is_recorded_in_the_outbox_with_the_request(api, tenant, system):
    from services.intake.models import Outbox

    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    with system.runtimes["intake"].session_factory() as session:
        keys = session.scalars(
            select(Outbox.routing_key).where(Outbox.aggregate_id == client["id"])
        ).all()
        pending = session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.published_at.is_(None), Outbox.aggregate_id == client["id"])
        )
    assert keys == ["client.referred", "client.onboarded"]
    assert pending == 2
