"""Which events create, move and cancel which nudges; projections and erasure."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.notifications.models import Contact, StaffMember
from tests.support import builders
from tests.support.notifications import contact_details


def _action(client_id, action_id, due_at, occurrence_key, lead=60) -> dict:
    return builders.action_scheduled(
        client_id,
        due_at,
        action_id=action_id,
        title="Call the housing office",
        occurrence_key=occurrence_key,
        reminder_lead_minutes=lead,
    )


def _checkin(client_id, checkin_id, starts_at) -> dict:
    return builders.checkin_scheduled(client_id, starts_at, checkin_id=checkin_id)


def test_action_reminders_are_moved_and_cancelled_with_their_occurrence(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    client = n.refer(tenant)
    action = uuid.uuid4()
    start = n.clock() + timedelta(days=1)
    occurrences = [(start + timedelta(days=i)).isoformat() for i in range(3)]
    for i, key in enumerate(occurrences):
        n.event("action.scheduled", tenant, _action(client, action, start + timedelta(days=i), key))
    again = _action(client, action, start, occurrences[0])
    n.event("action.scheduled", tenant, again)  # a duplicate occurrence: still one reminder
    assert len(n.nudges(client, "action_reminder")) == 3

    moved = _action(client, action, start + timedelta(hours=3), occurrences[0], lead=30)
    n.event("action.rescheduled", tenant, moved)
    n.event("action.completed", tenant, _action(client, action, None, occurrences[1]))
    states = sorted((r.state, r.reason, r.due_at) for r in n.nudges(client, "action_reminder"))
    assert [(s, r) for s, r, _ in states] == [
        ("cancelled", "action_completed"),
        ("cancelled", "rescheduled"),
        ("scheduled", None),
        ("scheduled", None),
    ]
    due = sorted(d for s, _, d in states if s == "scheduled")
    assert due == [
        start + timedelta(hours=3) - timedelta(minutes=30),
        start + timedelta(days=2) - timedelta(minutes=60),
    ]

    n.event("action.cancelled", tenant, _action(client, action, None, None))
    assert {r.state for r in n.nudges(client, "action_reminder")} == {"cancelled"}


def test_checkin_reminders_use_the_clients_lead_times_and_stop_when_recorded(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.refer(tenant)
    admin = n.token(tenant)
    reply = n.call(
        "PUT",
        f"/v1/clients/{client}/preferences",
        admin,
        json={"checkin_reminder_lead_minutes": [120, 1440, 15]},
    )
    assert reply.json["checkin_reminder_lead_minutes"] == [15, 120, 1440]
    checkin = uuid.uuid4()
    starts = n.clock() + timedelta(days=3)
    n.event("checkin.scheduled", tenant, _checkin(client, checkin, starts))
    reminders = n.nudges(client, "checkin_reminder")
    assert [starts - r.due_at for r in reminders] == [
        timedelta(minutes=1440),
        timedelta(minutes=120),
        timedelta(minutes=15),
    ]
    later = starts + timedelta(days=1)
    n.event("checkin.rescheduled", tenant, _checkin(client, checkin, later))
    pending = [r for r in n.nudges(client, "checkin_reminder") if r.state == "scheduled"]
    assert {r.event_at for r in pending} == {later} and len(pending) == 3

    n.clock.set(later - timedelta(minutes=1440))
    n.dispatch()
    n.event(
        "checkin.recorded",
        tenant,
        {"checkin_id": checkin, "plan_id": uuid.uuid4(), "client_id": client, "attended": True},
    )
    states = [r.state for r in n.nudges(client, "checkin_reminder") if r.event_at == later]
    assert states == ["sent", "cancelled", "cancelled"]


def test_missed_checkin_sends_a_gentle_follow_up_and_goals_are_celebrated(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    client = n.refer(tenant)
    checkin = uuid.uuid4()
    n.event("checkin.scheduled", tenant, _checkin(client, checkin, n.clock() + timedelta(days=2)))
    missed = _checkin(client, checkin, n.clock())
    missed = {k: missed[k] for k in ("checkin_id", "plan_id", "client_id", "coach_id", "starts_at")}
    n.event("checkin.missed", tenant, missed)
    goal = {
        "goal_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": client,
        "title": "Keep a regular morning routine",
        "domain": "daily_living",
    }
    n.event("goal.achieved", tenant, goal)
    n.event("goal.achieved", tenant, goal)  # a second event for the same goal: one nudge
    n.dispatch()
    assert {r.state for r in n.nudges(client, "checkin_reminder")} == {"cancelled"}
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == ["We missed you", "You did it: Keep a regular morning routine"]


def test_review_due_alert_goes_to_the_coach_from_the_staff_projection(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    coach = n.staff(tenant, email="casey@harbour.example")
    n.event(
        "staff.updated",
        tenant,
        {
            "staff_id": coach,
            "name": "Casey C.",
            "email": "casey.c@harbour.example",
            "role": "coach",
        },
    )
    client = n.refer(tenant)
    n.event(
        "plan.review_due",
        tenant,
        {
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "coach_id": coach,
            "review_due_on": "2026-07-15",
        },
    )
    n.dispatch()
    alert = n.nudge(client, "review_due_alert")
    assert (alert.audience, alert.state) == ("coach", "sent")
    [email] = smtp.messages
    assert email["To"] == "casey.c@harbour.example"
    assert "2026-07-15" in email.get_body(("plain",)).get_content()
    assert email["List-Unsubscribe"] is None


def test_erasure_removes_personal_data_and_message_bodies(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant)
    n.dispatch()
    assert n.nudge(client, "welcome").body
    n.event(
        "action.scheduled",
        tenant,
        _action(client, uuid.uuid4(), n.clock() + timedelta(days=1), "k"),
    )

    n.event("client.erased", tenant, {"client_id": client})
    n.event(
        "client.updated",
        tenant,
        {
            "client_id": client,
            "changed": ["email"],
            "contact": {
                "given_name": "Jordan",
                "email": "late@example.net",
                "timezone": "UTC",
                "consent": {"email": True, "sms": True},
            },
        },
    )  # a late event brings nothing back

    with n.runtime.session_factory() as session:
        contact = session.get(Contact, (tenant, client))
        assert (contact.given_name, contact.preferred_name, contact.email, contact.phone) == (
            "[erased]",
            None,
            None,
            None,
        )
    nudges = {r.kind: r for r in n.nudges(client)}
    assert nudges["welcome"].body is None and nudges["welcome"].variables is None
    assert nudges["action_reminder"].variables is None
    assert (nudges["action_reminder"].state, nudges["action_reminder"].reason) == (
        "cancelled",
        "client_erased",
    )


def test_staff_events_carry_the_organisation_name_used_in_messages(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    n.staff(tenant, organisation_name="Harbour Recovery Services", role="org_admin")
    with n.runtime.session_factory() as session:
        assert session.get(StaffMember, (tenant, n.staff(tenant))).role == "coach"
    n.onboard(tenant)
    n.dispatch()
    assert smtp.messages[0]["Subject"] == "Welcome to Harbour Recovery Services, Jo"


def test_a_client_onboarded_again_after_discharge_is_welcomed_again(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant)
    n.dispatch()
    n.event(
        "client.discharged",
        tenant,
        {"client_id": client, "reason": "moved away", "discharged_at": n.clock()},
    )
    contact = contact_details()
    n.event(
        "client.onboarded",
        tenant,
        {
            "client_id": client,
            "coach_id": uuid.uuid4(),
            "timezone": contact["timezone"],
            "contact": contact,
            "assessment": {"version": 1, "domain_ratings": {"housing": 6}},
        },
    )
    n.dispatch()
    assert [w.state for w in n.nudges(client, "welcome")] == ["sent", "sent"]
    assert len(smtp.messages) == 2


def test_a_check_in_booked_for_tomorrow_morning_skips_its_day_ahead_notice(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.refer(tenant)
    checkin = uuid.uuid4()
    starts = n.clock() + timedelta(hours=10)  # the 24 h notice's moment was 14 h ago
    n.event("checkin.scheduled", tenant, _checkin(client, checkin, starts))
    assert [starts - r.due_at for r in n.nudges(client, "checkin_reminder")] == [
        timedelta(minutes=60)
    ]
    # Booked within the hour: the one-hour reminder still goes, late or not.
    soon = uuid.uuid4()
    n.event("checkin.scheduled", tenant, _checkin(client, soon, n.clock() + timedelta(minutes=30)))
    assert len([r for r in n.nudges(client, "checkin_reminder") if r.subject_id == soon]) == 1


def test_day_one_setup_messages_leave_the_daily_cap_to_the_reminders(notifications, smtp):
    """The default cap of 3: the welcome and plan-ready message do not use it up, so the
    first check-in reminder, step reminder and mood prompt all go on day one."""
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant)  # 12:00 in Sydney: no quiet hours now
    plan = uuid.uuid4()
    n.event("plan.activated", tenant, builders.plan_activated(client, plan_id=plan, goal_count=2))
    n.event(
        "checkin.scheduled",
        tenant,
        _checkin(client, uuid.uuid4(), n.clock() + timedelta(minutes=50)),
    )
    due = n.clock() + timedelta(minutes=30)
    n.event(
        "action.scheduled",
        tenant,
        builders.action_scheduled(
            client, due, plan_id=plan, title="Call the housing service", occurrence_key="k1"
        ),
    )
    from services.notifications.nudges import schedule_nudge

    with n.runtime.unit_of_work() as uow:
        contact = uow.session.get(Contact, (tenant, client))
        schedule_nudge(uow, contact, "mood_prompt", "mood:day-one", n.clock())
        uow.commit()
    n.dispatch()
    states = {r.kind: r.state for r in n.nudges(client) if r.kind != "weekly_digest"}
    assert states == {
        "welcome": "sent",
        "plan_ready": "sent",
        "checkin_reminder": "sent",
        "action_reminder": "sent",
        "mood_prompt": "sent",
        # the escalation's reminder, if the prompt stays unanswered past its grace period
        "mood_prompt_reminder": "scheduled",
    }
