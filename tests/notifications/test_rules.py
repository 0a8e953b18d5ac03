"""The rules that hold a nudge back, each recorded as its reason, in their order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notifications.dispatcher.quiet_hours import QuietHours, next_allowed
from tests.support import builders

SYDNEY = ZoneInfo("Australia/Sydney")


def sydney(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SYDNEY)


def _action(client_id, due_at: datetime, lead: int, **extra) -> dict:
    return builders.action_scheduled(
        client_id,
        due_at,
        title="Walk to the community garden",
        occurrence_key=extra.pop("occurrence_key", due_at.isoformat()),
        reminder_lead_minutes=lead,
        **extra,
    )


@pytest.mark.parametrize(
    ("evening", "morning_utc_offset"),
    [
        ("2026-04-04T22:30", 10),  # clocks go back at 03:00 on 5 April: AEDT -> AEST
        ("2026-10-03T22:30", 11),  # clocks go forward at 02:00 on 4 October: AEST -> AEDT
        ("2026-07-01T22:30", 10),
    ],
)
def test_quiet_hours_defer_to_eight_local_across_daylight_saving(evening, morning_utc_offset):
    moment = sydney(evening).astimezone(UTC)
    allowed = next_allowed(moment, "Australia/Sydney", [QuietHours.of("21:00", "08:00")])
    local = allowed.astimezone(SYDNEY)
    assert (local.hour, local.minute) == (8, 0)
    assert local.date() == sydney(evening).date() + timedelta(days=1)
    assert local.utcoffset() == timedelta(hours=morning_utc_offset)


@pytest.mark.parametrize("evening", ["2026-04-04T22:30", "2026-10-03T22:30"])
def test_reminder_due_at_half_past_ten_goes_at_eight_next_morning(notifications, smtp, evening):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(sydney(evening).astimezone(UTC) - timedelta(hours=2))
    client = n.onboard(tenant)
    n.dispatch()  # the welcome
    reminder_at = sydney(evening).astimezone(UTC)
    action_due = sydney(evening).replace(hour=10, minute=0) + timedelta(days=1)
    lead = int((action_due.astimezone(UTC) - reminder_at).total_seconds() // 60)
    n.event("action.scheduled", tenant, _action(client, action_due, lead=lead))

    n.clock.set(reminder_at)
    n.dispatch()
    reminder = n.nudge(client, "action_reminder")
    assert (reminder.state, reminder.reason) == ("deferred", "quiet_hours")
    eight = reminder.due_at.astimezone(SYDNEY)
    assert (eight.date(), eight.hour, eight.minute) == (action_due.date(), 8, 0)

    n.clock.set(reminder.due_at - timedelta(minutes=1))
    assert n.dispatch() == 0
    n.clock.set(reminder.due_at)
    n.dispatch()
    reminder = n.nudge(client, "action_reminder")
    assert reminder.state == "sent"
    assert reminder.sent_at.astimezone(SYDNEY).hour == 8
    assert [m["Subject"] for m in smtp.messages][-1] == "Reminder: Walk to the community garden"


def test_every_rule_holds_a_nudge_back_with_its_reason(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(sydney("2026-07-01T12:00").astimezone(UTC))
    admin = n.token(tenant)

    no_consent = n.onboard(tenant, consent={"email": False, "sms": False})
    stopped = n.refer(tenant, consent={"email": False, "sms": True}, phone="+61412000001")
    from services.notifications import suppressions

    with n.runtime.session_factory() as session:
        suppressions.suppress(session, tenant, "sms", "+61412000001", "stop")
        session.commit()
    n.event(
        "client.onboarded",
        tenant,
        {
            "client_id": stopped,
            "coach_id": uuid.uuid4(),
            "timezone": "Australia/Sydney",
            "contact": _contact(consent={"email": False, "sms": True}, phone="+61412000001"),
            "assessment": {"version": 1, "domain_ratings": {"housing": 5}},
        },
    )
    paused = n.refer(tenant)
    night_owl = n.refer(tenant, timezone="Europe/London")  # 03:00 in London
    capped = n.refer(tenant)
    for client, body in (
        (paused, {"paused_until": "2026-07-08T00:00:00+00:00"}),
        (capped, {"daily_cap": 1}),
    ):
        reply = n.call("PUT", f"/v1/clients/{client}/preferences", admin, json=body)
        assert reply.status_code == 200, reply.json
    n.event("goal.achieved", tenant, builders.goal(capped, title="Walk daily"))
    n.dispatch()  # the capped client's one message of the day
    for client in (paused, night_owl, capped):
        n.event("plan.activated", tenant, builders.plan_activated(client))
    n.event("goal.achieved", tenant, builders.goal(capped))
    late = n.refer(tenant)
    n.event("action.scheduled", tenant, _action(late, n.clock() + timedelta(minutes=5), lead=60))
    n.clock.advance(minutes=10)  # the dispatcher was down: the action's moment has passed

    n.dispatch()

    def outcome(client, kind):
        nudge = n.nudge(client, kind)
        return nudge.state, nudge.reason

    assert outcome(no_consent, "welcome") == ("suppressed", "no_consent")
    assert outcome(stopped, "welcome") == ("suppressed", "suppressed:stop")
    assert outcome(paused, "plan_ready") == ("deferred", "paused")
    assert outcome(night_owl, "plan_ready") == ("deferred", "quiet_hours")
    # Setting up (plan_ready) goes whatever the cap; the celebration waits a day.
    assert outcome(capped, "plan_ready") == ("sent", None)
    [_, celebration] = n.nudges(capped, "goal_celebration")
    assert (celebration.state, celebration.reason) == ("deferred", "daily_cap")
    next_morning = celebration.due_at.astimezone(SYDNEY)
    assert (next_morning.day, next_morning.hour) == (2, 8)
    assert outcome(late, "action_reminder") == ("expired", "moment_passed")
    assert len(smtp.messages) == 2  # the capped client's first celebration and plan ready

    listed = n.call("GET", f"/v1/clients/{paused}/notifications", admin).json["items"]
    assert [(i["kind"], i["state"], i["reason"]) for i in listed] == [
        ("plan_ready", "deferred", "paused")
    ]


def test_preferred_channel_first_and_fallback_only_with_consent(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    admin = n.token(tenant)
    prefers_sms = n.refer(tenant)
    email_only = n.refer(tenant, consent={"email": True, "sms": False})
    sms_only = n.refer(tenant, consent={"email": False, "sms": True})
    no_phone_sms = n.refer(tenant, consent={"email": False, "sms": True}, phone=None)
    for client in (prefers_sms, email_only, sms_only, no_phone_sms):
        n.call("PUT", f"/v1/clients/{client}/preferences", admin, json={"preferred_channel": "sms"})
        n.event("plan.activated", tenant, builders.plan_activated(client))
    n.dispatch()
    channels = {
        client: (n.nudge(client, "plan_ready").channel, n.nudge(client, "plan_ready").state)
        for client in (prefers_sms, email_only, sms_only, no_phone_sms)
    }
    assert channels[prefers_sms] == ("sms", "sent")
    assert channels[email_only] == ("email", "sent")  # fallback: consented
    assert channels[sms_only] == ("sms", "sent")
    assert n.nudge(no_phone_sms, "plan_ready").reason == "no_consent"
    assert [m["To"] for m in smtp.messages] == [_email_of(n, email_only)]


def test_organisation_floor_cannot_be_loosened_by_a_client(notifications):
    n = notifications
    tenant = uuid.uuid4()
    admin = n.token(tenant)
    reply = n.call(
        "PUT",
        "/v1/organisation/notification-settings",
        admin,
        json={"quiet_hours_floor": {"start": "21:00", "end": "08:00"}, "name": "Harbour"},
    )
    assert reply.status_code == 200, reply.json
    client = n.refer(tenant)
    reply = n.call(
        "PUT",
        f"/v1/clients/{client}/preferences",
        admin,
        json={"quiet_hours": {"start": "23:30", "end": "06:00"}},
    )
    assert reply.json["organisation_quiet_hours_floor"] == {"start": "21:00", "end": "08:00"}
    n.clock.set(sydney("2026-07-01T22:00").astimezone(UTC))
    n.event("plan.activated", tenant, builders.plan_activated(client))
    n.dispatch()
    nudge = n.nudge(client, "plan_ready")
    assert (nudge.state, nudge.reason) == ("deferred", "quiet_hours")
    assert nudge.due_at.astimezone(SYDNEY).hour == 8


def test_discharge_cancels_pending_and_coach_alerts_ignore_the_pause(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    coach = n.staff(tenant, email="casey@harbour.example")
    client = n.onboard(tenant, coach_id=coach)
    n.dispatch()
    admin = n.token(tenant)
    n.call(
        "PUT",
        f"/v1/clients/{client}/preferences",
        admin,
        json={"paused_until": "2026-08-01T00:00:00+00:00"},
    )
    plan = builders.plan_activated(client, coach_id=coach)
    n.event("client.risk_flagged", tenant, plan | {"reason": "low_wellbeing", "checkin_id": None})
    n.event("action.scheduled", tenant, _action(client, n.clock() + timedelta(days=2), lead=60))
    n.dispatch()
    alert = n.nudge(client, "risk_alert")
    assert (alert.state, alert.channel) == ("sent", "email")
    assert smtp.messages[-1]["To"] == "casey@harbour.example"
    assert "low wellbeing" in smtp.messages[-1].get_body(("plain",)).get_content()
    assert "Jordan" not in smtp.messages[-1]["Subject"]

    n.event(
        "client.discharged",
        tenant,
        {"client_id": client, "reason": "completed", "discharged_at": n.clock()},
    )
    assert n.nudge(client, "action_reminder").state == "cancelled"
    n.event("goal.achieved", tenant, builders.goal(client))
    assert n.nudges(client, "goal_celebration") == []


def _contact(**overrides) -> dict:
    from tests.support.notifications import contact_details

    return contact_details(**overrides)


def _email_of(n, client_id) -> str:
    from services.notifications.models import Contact

    with n.runtime.session_factory() as session:
        return session.scalar(
            __import__("sqlalchemy").select(Contact.email).where(Contact.client_id == client_id)
        )
