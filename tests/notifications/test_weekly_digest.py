"""The weekly digest: at the client's local day and time, across daylight-saving changes,
with the week's numbers from plans' events, skipped when the week holds nothing, under
every usual rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.notifications.digest.models import AchievedGoal, PlannedCheckIn, PlannedStep
from services.notifications.digest.weekly_digest import (
    DigestTime,
    UpcomingStep,
    WeekInFacts,
    digest_variables,
    next_digest_at,
    week_key,
)
from services.notifications.models import Nudge

SYDNEY = ZoneInfo("Australia/Sydney")
LONDON = ZoneInfo("Europe/London")
SUBJECT = "Your week with your coaching service"


def local(text: str, tz: ZoneInfo = SYDNEY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def utc(text: str, tz: ZoneInfo = SYDNEY) -> datetime:
    return local(text, tz).astimezone(UTC)


def _step(client_id, action_id, title: str, due: datetime, **extra) -> dict:
    return {
        "action_id": action_id,
        "goal_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": client_id,
        "title": title,
        "occurrence_key": due.replace(tzinfo=None).isoformat(),
        "due_at": due,
        "due_local": due.replace(tzinfo=None).isoformat(),
        "timezone": str(due.tzinfo),
        "reminder_lead_minutes": 60,
    } | extra


def _checkin(client_id, checkin_id, starts: datetime) -> dict:
    return {
        "checkin_id": checkin_id,
        "plan_id": uuid.uuid4(),
        "client_id": client_id,
        "coach_id": uuid.uuid4(),
        "starts_at": starts,
        "starts_local": starts.replace(tzinfo=None).isoformat(),
        "timezone": str(starts.tzinfo),
        "duration_minutes": 45,
        "mode": "video",
    }


def _goal(client_id, title: str) -> dict:
    return {
        "goal_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": client_id,
        "title": title,
        "domain": "social_connection",
    }


def _digests(n, client_id, state: str | None = None):
    return [d for d in n.nudges(client_id, "weekly_digest") if state is None or d.state == state]


def _by_id(n, nudge_id) -> Nudge:
    with n.runtime.session_factory() as session:
        return session.get(Nudge, nudge_id)


def _digest_emails(smtp) -> list:
    return [m for m in smtp.messages if m["Subject"] == SUBJECT]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


# -- when it goes (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "tz", "when", "expected_local", "utc_offset_hours"),
    [
        # Sydney: clocks go back at 03:00 on Sunday 5 April 2026 (AEDT +11 -> AEST +10).
        ("2026-04-01T09:00", SYDNEY, ("sun", "17:00"), "2026-04-05T17:00", 10),
        ("2026-03-25T09:00", SYDNEY, ("sun", "17:00"), "2026-03-29T17:00", 11),
        # Sydney: clocks go forward at 02:00 on Sunday 4 October 2026 (+10 -> +11).
        ("2026-09-30T09:00", SYDNEY, ("sun", "17:00"), "2026-10-04T17:00", 11),
        # A time the spring-forward gap skips is taken at the first real minute after it.
        ("2026-09-30T09:00", SYDNEY, ("sun", "02:30"), "2026-10-04T03:30", 11),
        # London: clocks go forward at 01:00 UTC on Sunday 29 March 2026.
        ("2026-03-23T12:00", LONDON, ("sat", "09:15"), "2026-03-28T09:15", 0),
        ("2026-03-28T09:15", LONDON, ("sat", "09:15"), "2026-04-04T09:15", 1),
    ],
)
def test_digest_moment_keeps_its_local_time_across_daylight_saving(
    after, tz, when, expected_local, utc_offset_hours
):
    moment = next_digest_at(utc(after, tz), str(tz), DigestTime(*when))
    assert moment.astimezone(tz).replace(tzinfo=None) == datetime.fromisoformat(expected_local)
    assert moment.astimezone(tz).utcoffset() == timedelta(hours=utc_offset_hours)


def test_the_occurrence_key_is_the_clients_local_week():
    # Sunday 17:00 in Sydney is still Sunday morning in UTC: the local week counts.
    assert week_key(utc("2026-04-05T17:00"), "Australia/Sydney") == "week:2026-W14"
    assert week_key(utc("2026-04-06T08:00"), "Australia/Sydney") == "week:2026-W15"


# -- what it says --------------------------------------------------------------------------


def test_an_empty_week_has_nothing_to_say_and_anything_in_it_is_worth_a_digest():
    assert digest_variables(WeekInFacts(), "Australia/Sydney") is None
    only_a_checkin = WeekInFacts(next_checkin_at=utc("2026-07-14T10:00"))
    assert digest_variables(only_a_checkin, "Australia/Sydney")["next_checkin"] == (
        "Tue 14 Jul, 10:00"
    )
    planned_none_done = digest_variables(WeekInFacts(steps_planned=2), "Australia/Sydney")
    assert (planned_none_done["steps_done"], planned_none_done["steps_planned"]) == (0, 2)


def test_a_digest_names_at_most_three_steps_and_five_goals_but_counts_them_all():
    steps = [UpcomingStep(f"Step {i}", utc(f"2026-07-1{i}T09:00")) for i in range(3, 8)]
    goals = [f"Goal {i}" for i in range(7)]
    said = digest_variables(WeekInFacts(goals_achieved=goals, next_steps=steps), "UTC")
    assert [s["title"] for s in said["next_steps"]] == ["Step 3", "Step 4", "Step 5"]
    assert said["goals_achieved"] == goals[:5] and said["goals_achieved_count"] == 7


def test_digest_goes_at_five_on_sunday_local_across_the_change_with_the_right_numbers(
    notifications, smtp
):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-03-30T09:00"))  # Monday, AEDT (+11)
    client = n.onboard(tenant)
    n.dispatch()  # the welcome
    [pending] = _digests(n, client)
    # Daylight saving ends on the Sunday morning: 17:00 AEST is 07:00 UTC, not 06:00.
    assert pending.due_at == datetime(2026, 4, 5, 7, 0, tzinfo=UTC)
    assert pending.occurrence_key == "week:2026-W14"

    walk, housing, library, garden = (uuid.uuid4() for _ in range(4))
    events = [
        # Before the week began (Sunday 17:00): not counted.
        ("action.scheduled", _step(client, walk, "Morning walk", local("2026-03-29T10:00"))),
        ("action.completed", _step(client, walk, "Morning walk", local("2026-03-29T10:00"))),
        # This week: three planned, two done, one cancelled.
        ("action.scheduled", _step(client, walk, "Morning walk", local("2026-03-31T10:00"))),
        ("action.scheduled", _step(client, walk, "Morning walk", local("2026-04-02T10:00"))),
        ("action.scheduled", _step(client, housing, "Call housing", local("2026-04-03T11:00"))),
        ("action.scheduled", _step(client, library, "Visit library", local("2026-04-04T10:00"))),
        ("action.completed", _step(client, walk, "Morning walk", local("2026-03-31T10:00"))),
        ("action.completed", _step(client, walk, "Morning walk", local("2026-04-02T10:00"))),
        ("action.cancelled", _step(client, library, "Visit library", local("2026-04-04T10:00"))),
        # Next week: four steps (the first three are named), one the week after.
        ("action.scheduled", _step(client, walk, "Morning walk", local("2026-04-06T10:00"))),
        ("action.scheduled", _step(client, walk, "Morning walk", local("2026-04-08T10:00"))),
        ("action.scheduled", _step(client, garden, "Garden group", local("2026-04-09T18:00"))),
        ("action.scheduled", _step(client, walk, "Morning walk", local("2026-04-10T10:00"))),
        ("action.scheduled", _step(client, walk, "Morning walk", local("2026-04-13T10:00"))),
        # The garden group moves to Sunday evening: it becomes the first step ahead.
        (
            "action.rescheduled",
            _step(
                client,
                garden,
                "Garden group",
                local("2026-04-05T18:00"),
                occurrence_key="2026-04-09T18:00:00",
            ),
        ),
    ]
    for event_type, data in events:
        n.event(event_type, tenant, data)
    cancelled_checkin, checkin = uuid.uuid4(), uuid.uuid4()
    n.event("checkin.scheduled", tenant, _checkin(client, checkin, local("2026-04-08T14:30")))
    n.event(
        "checkin.scheduled", tenant, _checkin(client, cancelled_checkin, local("2026-04-07T14:30"))
    )
    n.event(
        "checkin.cancelled", tenant, _checkin(client, cancelled_checkin, local("2026-04-07T14:30"))
    )
    n.clock.set(utc("2026-04-01T12:00"))
    n.event("goal.achieved", tenant, _goal(client, "Join a community garden group"))
    n.dispatch()

    n.clock.set(pending.due_at - timedelta(minutes=1))
    n.dispatch()
    assert _digest_emails(smtp) == []
    n.clock.set(pending.due_at)
    n.dispatch()

    [email] = _digest_emails(smtp)
    sent = _by_id(n, pending.id)
    assert sent.state == "sent"
    sent_local = sent.sent_at.astimezone(SYDNEY)
    assert (sent_local.hour, sent_local.minute, sent_local.utcoffset()) == (
        17,
        0,
        timedelta(hours=10),
    )
    text = _text(email)
    assert "You did 2 of the 3 steps you planned. Every step counts." in text
    assert "You reached your goal: Join a community garden group." in text
    assert (
        "Coming up:\n"
        "- Garden group, Sun 05 Apr, 18:00\n"
        "- Morning walk, Mon 06 Apr, 10:00\n"
        "- Morning walk, Wed 08 Apr, 10:00\n\n"
    ) in text
    assert "Your next check-in: Wed 08 Apr, 14:30." in text
    assert (
        "<strong>Join a community garden group</strong>" in email.get_body(("html",)).get_content()
    )
    assert (sent.variables["steps_done"], sent.variables["steps_planned"]) == (2, 3)

    # Next week's is waiting, at 17:00 local again.
    [following] = _digests(n, client, "scheduled")
    assert following.occurrence_key == "week:2026-W15"
    assert following.due_at == utc("2026-04-12T17:00")


def test_the_digest_is_rendered_only_after_its_facts_are_committed(notifications, monkeypatch):
    from services.notifications.dispatcher import loop

    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    client = n.onboard(tenant)
    n.event("checkin.scheduled", tenant, _checkin(client, uuid.uuid4(), local("2026-07-14T10:00")))
    n.dispatch()
    seen = []
    compose = loop.compose

    def watching(draft):
        if draft.kind == "weekly_digest":  # what another connection sees while it renders
            row = _by_id(n, draft.nudge_id)
            seen.append((row.state, (row.variables or {}).get("next_checkin")))
        return compose(draft)

    monkeypatch.setattr(loop, "compose", watching)
    n.clock.set(utc("2026-07-12T17:00"))
    n.dispatch()
    assert seen == [("sending", "Tue 14 Jul, 10:00")]
    assert _by_id(n, _digests(n, client)[0].id).state == "sent"


def test_the_chosen_local_time_holds_across_the_change_week_after_week(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-03-23T12:00", LONDON))
    client = n.onboard(tenant, timezone="Europe/London")
    admin = n.token(tenant)
    reply = n.call(
        "PUT",
        f"/v1/clients/{client}/preferences",
        admin,
        json={"weekly_digest": {"weekday": "sat", "local_time": "09:15"}},
    )
    assert reply.status_code == 200, reply.json
    assert reply.json["weekly_digest"] == {"weekday": "sat", "local_time": "09:15"}
    for starts in ("2026-03-31T15:00", "2026-04-07T15:00"):
        n.event("checkin.scheduled", tenant, _checkin(client, uuid.uuid4(), local(starts, LONDON)))
    n.dispatch()

    sent_at = []
    for saturday, expected_utc in (("2026-03-28", 9), ("2026-04-04", 8)):
        [pending] = _digests(n, client, "scheduled")
        assert pending.due_at == datetime.fromisoformat(f"{saturday}T{expected_utc:02d}:15Z")
        n.clock.set(pending.due_at)
        n.dispatch()
        sent = _by_id(n, pending.id)
        assert sent.state == "sent", (sent.state, sent.reason)
        sent_at.append(sent.sent_at.astimezone(LONDON))
    assert [(s.hour, s.minute) for s in sent_at] == [(9, 15), (9, 15)]
    first, second = (_text(m) for m in _digest_emails(smtp))
    assert "Your next check-in: Tue 31 Mar, 15:00." in first
    assert "Your next check-in: Tue 07 Apr, 15:00." in second


def test_a_week_with_nothing_in_it_is_skipped_as_nothing_to_say(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    client = n.onboard(tenant)
    admin = n.token(tenant)
    n.dispatch()
    [pending] = _digests(n, client)
    n.clock.set(pending.due_at)
    n.dispatch()

    skipped = _by_id(n, pending.id)
    assert (skipped.state, skipped.reason) == ("skipped", "nothing_to_say")
    assert _digest_emails(smtp) == []
    listed = n.call("GET", f"/v1/clients/{client}/notifications", admin).json["items"]
    assert ("weekly_digest", "skipped", "nothing_to_say") in [
        (i["kind"], i["state"], i["reason"]) for i in listed
    ]
    # A skipped week does not stop the next one.
    [following] = _digests(n, client, "scheduled")
    assert following.due_at == utc("2026-07-19T17:00")


# -- the client's preference ---------------------------------------------------------------


def test_changing_the_digest_time_moves_the_pending_digest_and_null_stops_it(notifications):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))  # Monday, in week 28
    client = n.onboard(tenant)
    admin = n.token(tenant)
    path = f"/v1/clients/{client}/preferences"
    assert n.call("GET", path, admin).json["weekly_digest"] == {
        "weekday": "sun",
        "local_time": "17:00",
    }
    [sunday] = _digests(n, client)
    assert sunday.due_at == utc("2026-07-12T17:00")

    def put(value):
        reply = n.call("PUT", path, admin, json={"weekly_digest": value})
        assert reply.status_code == 200, reply.json
        return reply.json["weekly_digest"]

    # Wednesday of the same week: the week's one digest moves.
    assert put({"weekday": "wed", "local_time": "18:30"}) == {
        "weekday": "wed",
        "local_time": "18:30",
    }
    [moved] = _digests(n, client)
    assert (moved.id, moved.state, moved.due_at) == (
        sunday.id,
        "scheduled",
        utc("2026-07-08T18:30"),
    )

    # Monday 08:00 has passed this week: the next is in week 29, this week's is cancelled.
    put({"weekday": "mon", "local_time": "08:00"})
    assert [(d.occurrence_key, d.state, d.reason) for d in _digests(n, client)] == [
        ("week:2026-W28", "cancelled", "rescheduled"),
        ("week:2026-W29", "scheduled", None),
    ]
    assert _digests(n, client, "scheduled")[0].due_at == utc("2026-07-13T08:00")

    # null: no digest at all.
    assert put(None) is None
    assert n.call("GET", path, admin).json["weekly_digest"] is None
    assert _digests(n, client, "scheduled") == []
    assert [d.reason for d in _digests(n, client)] == ["rescheduled", "digest_off"]
    n.event("checkin.scheduled", tenant, _checkin(client, uuid.uuid4(), local("2026-07-14T10:00")))
    n.clock.set(utc("2026-07-20T09:00"))
    n.dispatch()
    assert _digests(n, client, "sent") == []

    # Back on: the next Sunday.
    put({"weekday": "sun", "local_time": "17:00"})
    [pending] = _digests(n, client, "scheduled")
    assert pending.due_at == utc("2026-07-26T17:00")


def test_a_client_who_moves_timezone_gets_the_digest_at_five_where_they_now_live(
    notifications,
):
    from tests.support.notifications import contact_details

    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    client = n.onboard(tenant)
    [pending] = _digests(n, client)
    assert pending.due_at == utc("2026-07-12T17:00")
    n.event(
        "client.updated",
        tenant,
        {
            "client_id": client,
            "changed": ["timezone"],
            "contact": contact_details(timezone="Europe/London"),
        },
    )
    [moved] = _digests(n, client)
    assert (moved.id, moved.state) == (pending.id, "scheduled")
    assert moved.due_at == utc("2026-07-12T17:00", LONDON)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weekday": "sunday", "local_time": "17:00"}, "weekday"),
        ({"weekday": 7, "local_time": "17:00"}, "weekday"),
        ({"weekday": "sun", "local_time": "5pm"}, "local_time"),
        ({"weekday": "sun", "local_time": "24:00"}, "local_time"),
        ({"weekday": "sun"}, "local_time"),
        ({"local_time": "17:00"}, "weekday"),
        ({"weekday": "sun", "local_time": "17:00", "hour": 3}, "hour"),
    ],
)
def test_a_bad_digest_preference_is_refused_naming_the_field(notifications, body, field):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant)
    admin = n.token(tenant)
    path = f"/v1/clients/{client}/preferences"
    reply = n.call("PUT", path, admin, json={"weekly_digest": body, "daily_cap": 5})
    assert reply.status_code == 422
    assert reply.content_type == "application/problem+json"
    assert field in reply.json["errors"]["weekly_digest"]
    current = n.call("GET", path, admin).json  # nothing half-written
    assert current["weekly_digest"] == {"weekday": "sun", "local_time": "17:00"}
    assert current["daily_cap"] == 3
    bad_shape = n.call("PUT", path, admin, json={"weekly_digest": "sundays"})
    assert bad_shape.status_code == 422 and "weekly_digest" in bad_shape.json["errors"]


# -- the usual rules -------------------------------------------------------------------------


def test_consent_quiet_hours_cap_and_pause_apply_to_the_digest(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    admin = n.token(tenant)
    n.clock.set(utc("2026-07-06T09:00"))
    no_consent = n.onboard(tenant, consent={"email": False, "sms": False})
    night = n.onboard(tenant)
    capped = n.onboard(tenant)
    paused = n.onboard(tenant)
    for client, body in (
        (night, {"weekly_digest": {"weekday": "sun", "local_time": "22:00"}}),
        (capped, {"daily_cap": 1}),
        (paused, {"paused_until": utc("2026-07-15T09:00").isoformat()}),
    ):
        assert (
            n.call("PUT", f"/v1/clients/{client}/preferences", admin, json=body).status_code == 200
        )
    for client in (no_consent, night, capped, paused):
        n.event(
            "checkin.scheduled", tenant, _checkin(client, uuid.uuid4(), local("2026-07-16T10:00"))
        )
    n.dispatch()  # the welcomes
    n.clock.set(utc("2026-07-12T16:00"))
    n.event(
        "goal.achieved",
        tenant,
        {
            "goal_id": uuid.uuid4(),
            "plan_id": uuid.uuid4(),
            "client_id": capped,
            "title": "Walk daily",
            "domain": "physical_health",
        },
    )
    n.dispatch()  # fills the capped client's one message of the day (setting up would not)
    n.clock.set(utc("2026-07-12T17:00"))
    n.dispatch()
    n.clock.set(utc("2026-07-12T22:00"))
    n.dispatch()

    def digest(client):
        [d] = [d for d in _digests(n, client) if d.occurrence_key == "week:2026-W28"]
        return d

    assert (digest(no_consent).state, digest(no_consent).reason) == ("suppressed", "no_consent")
    assert (digest(night).state, digest(night).reason) == ("deferred", "quiet_hours")
    assert digest(night).due_at == utc("2026-07-13T08:00")
    assert (digest(capped).state, digest(capped).reason) == ("deferred", "daily_cap")
    assert digest(capped).due_at == utc("2026-07-13T08:00")
    assert (digest(paused).state, digest(paused).reason) == ("deferred", "paused")
    assert _digest_emails(smtp) == []

    n.clock.set(utc("2026-07-13T08:00"))
    n.dispatch()
    assert digest(night).state == digest(capped).state == "sent"
    assert len(_digest_emails(smtp)) == 2

    # Past its week's use (two days late): it expires, and next week's is scheduled.
    n.clock.set(utc("2026-07-15T09:00"))
    n.dispatch()
    assert (digest(paused).state, digest(paused).reason) == ("expired", "moment_passed")
    [following] = _digests(n, paused, "scheduled")
    assert following.due_at == utc("2026-07-19T17:00")
    # The client without consent still has next week's, for when consent comes back.
    assert [d.occurrence_key for d in _digests(n, no_consent, "scheduled")] == ["week:2026-W29"]


# -- leaving -----------------------------------------------------------------------------------


def _facts(n, client_id) -> int:
    with n.runtime.session_factory() as session:
        return sum(
            session.scalar(
                select(func.count()).select_from(model).where(model.client_id == client_id)
            )
            for model in (PlannedStep, AchievedGoal, PlannedCheckIn)
        )


def test_discharged_and_erased_clients_get_no_digest_and_erasure_removes_its_facts(
    notifications, smtp
):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    discharged, erased = n.onboard(tenant), n.onboard(tenant)
    for client in (discharged, erased):
        n.event(
            "action.scheduled",
            tenant,
            _step(client, uuid.uuid4(), "Walk", local("2026-07-08T10:00")),
        )
        n.event("goal.achieved", tenant, _goal(client, "Join a walking group"))
        n.event(
            "checkin.scheduled", tenant, _checkin(client, uuid.uuid4(), local("2026-07-14T10:00"))
        )
    assert _facts(n, erased) == 3

    n.event(
        "client.discharged",
        tenant,
        {"client_id": discharged, "reason": "completed", "discharged_at": n.clock()},
    )
    n.event("client.erased", tenant, {"client_id": erased})
    assert [(d.state, d.reason) for d in _digests(n, discharged)] == [
        ("cancelled", "client_discharged")
    ]
    assert [(d.state, d.reason) for d in _digests(n, erased)] == [("cancelled", "client_erased")]
    assert _facts(n, erased) == 0
    # A late event after erasure brings nothing back.
    n.event(
        "action.scheduled", tenant, _step(erased, uuid.uuid4(), "Walk", local("2026-07-09T10:00"))
    )
    assert _facts(n, erased) == 0

    n.clock.set(utc("2026-07-12T17:00"))
    n.dispatch()
    assert _digest_emails(smtp) == []
    assert _digests(n, discharged, "scheduled") == _digests(n, erased, "scheduled") == []
