"""Action steps: each occurrence, or the whole step, can be completed, rescheduled or
cancelled, and every change is announced with UTC and local times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

NOW = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # Wednesday, 08:00 in New York (EDT)


# Mondays and Thursdays at 18:30 local time, through the end of the year.
WEEKLY_AT_HALF_SIX = {
    "title": "Phone a friend",
    "frequency": "weekly",
    "weekdays": ["mon", "thu"],
    "local_time": "18:30",
    "start_date": "2026-10-26",
    "end_date": "2026-12-31",
}


def _data(plans, event_type):
    return [e["data"] for e in plans.published(event_type)]


def _active_plan(plans, timezone="America/New_York"):
    """A client onboarded in ``timezone`` with an active plan, on the frozen clock."""
    plans.clock.set(NOW)
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    client = plans.onboard(tenant_id, coach_id, timezone=timezone)
    web = plans.http
    auth = {"Authorization": f"Bearer {plans.coach_token(tenant_id, coach_id)}"}
    plan = web.get(f"/v1/plans?client_id={client['client_id']}", headers=auth).get_json()["items"][
        0
    ]
    assert (
        web.patch(f"/v1/plans/{plan['id']}", headers=auth, json={"status": "active"}).status_code
        == 200
    )
    return tenant_id, client, plan, web, auth


def test_occurrences_and_whole_steps_are_completed_rescheduled_and_cancelled(plans):
    _, _, plan, web, auth = _active_plan(plans)
    goal_id = plan["goals"][0]["id"]

    weekly = web.post(
        f"/v1/goals/{goal_id}/actions",
        headers=auth,
        json=WEEKLY_AT_HALF_SIX,
    ).get_json()
    step = f"/v1/actions/{weekly['id']}"
    # Thu 29 Oct (EDT) and Mon 2 Nov (EST, after the change) are inside the 8-day horizon
    assert [
        (s["occurrence_key"], s["due_at"], s["due_local"]) for s in _data(plans, "action.scheduled")
    ] == [
        ("2026-10-29T18:30", "2026-10-29T22:30:00+00:00", "2026-10-29T18:30:00-04:00"),
        ("2026-11-02T18:30", "2026-11-02T23:30:00+00:00", "2026-11-02T18:30:00-05:00"),
    ]

    # reschedule one occurrence; then cancel another; complete one beyond the horizon
    moved = web.post(
        f"{step}/reschedule",
        headers=auth,
        json={"occurrence_key": "2026-10-29T18:30", "due_at": "2026-10-30T21:00:00Z"},
    )
    assert moved.status_code == 200, moved.get_json()
    [rescheduled] = _data(plans, "action.rescheduled")
    assert rescheduled["previous_due_at"] == "2026-10-29T22:30:00+00:00"
    assert rescheduled["due_local"] == "2026-10-30T17:00:00-04:00"
    assert (
        web.post(
            f"{step}/cancel", headers=auth, json={"occurrence_key": "2026-11-02T18:30"}
        ).status_code
        == 200
    )
    assert (
        web.post(
            f"{step}/cancel", headers=auth, json={"occurrence_key": "2026-11-02T18:30"}
        ).status_code
        == 409
    )
    assert (
        web.post(
            f"{step}/complete", headers=auth, json={"occurrence_key": "2026-11-19T18:30"}
        ).status_code
        == 200
    )
    assert (
        web.post(
            f"{step}/complete", headers=auth, json={"occurrence_key": "2026-11-18T18:30"}
        ).status_code
        == 422
    )  # a Wednesday
    assert [c["occurrence_key"] for c in _data(plans, "action.cancelled")] == ["2026-11-02T18:30"]
    assert [c["occurrence_key"] for c in _data(plans, "action.completed")] == ["2026-11-19T18:30"]

    # a new time for the whole step: announced future occurrences move
    etag = web.get(step, headers=auth).headers["ETag"]
    changed = web.patch(step, headers=auth | {"If-Match": etag}, json={"local_time": "19:00"})
    assert changed.status_code == 200, changed.get_json()
    assert (
        web.patch(step, headers=auth | {"If-Match": etag}, json={"title": "x"}).status_code == 412
    )
    cancelled = [c["occurrence_key"] for c in _data(plans, "action.cancelled")]
    assert cancelled == ["2026-11-02T18:30", "2026-10-29T18:30"]
    assert [s["occurrence_key"] for s in _data(plans, "action.scheduled")][2:] == [
        "2026-10-29T19:00",
        "2026-11-02T19:00",
    ]

    # cancel the whole step: one event without an occurrence key
    assert web.post(f"{step}/cancel", headers=auth, json={}).status_code == 200
    assert _data(plans, "action.cancelled")[-1]["occurrence_key"] is None
    assert web.post(f"{step}/complete", headers=auth, json={}).status_code == 409

    # a one-off step: moved by PATCH, then done; overdue while it is late
    once = web.post(
        f"/v1/goals/{goal_id}/actions",
        headers=auth,
        json={
            "title": "Book a GP visit",
            "frequency": "once",
            "due_at": "2026-10-28T13:00:00Z",
            "reminder_lead_minutes": 30,
        },
    ).get_json()
    assert once["occurrences"][0]["occurrence_key"] == "2026-10-28T09:00"
    moved = web.patch(
        f"/v1/actions/{once['id']}", headers=auth, json={"due_at": "2026-10-28T11:00:00Z"}
    ).get_json()
    assert moved["overdue_count"] == 1 and moved["occurrences"][0]["overdue"] is True
    assert _data(plans, "action.rescheduled")[-1]["previous_due_at"] == "2026-10-28T13:00:00+00:00"
    done = web.post(f"/v1/actions/{once['id']}/complete", headers=auth, json={}).get_json()
    assert done["status"] == "completed" and done["overdue_count"] == 0
    assert _data(plans, "action.completed")[-1]["occurrence_key"] == "2026-10-28T09:00"


def test_a_client_moving_timezone_keeps_recurring_steps_at_their_local_time(plans):
    tenant_id, client, plan, web, auth = _active_plan(plans)
    weekly = web.post(
        f"/v1/goals/{plan['goals'][0]['id']}/actions",
        headers=auth,
        json=WEEKLY_AT_HALF_SIX,
    ).get_json()
    # the coach moves Thursday's by hand: that instant stays
    web.post(
        f"/v1/actions/{weekly['id']}/reschedule",
        headers=auth,
        json={"occurrence_key": "2026-10-29T18:30", "due_at": "2026-10-30T21:00:00Z"},
    )

    moved_to_london = {
        "client_id": client["client_id"],
        "changed": ["timezone"],
        "contact": client["contact"] | {"timezone": "Europe/London"},
    }
    plans.event("client.updated", tenant_id, moved_to_london, occurred_at=NOW)

    # Monday's 18:30 in New York (23:30 UTC) becomes 18:30 in London (GMT by then)
    moved = [
        (d["occurrence_key"], d["previous_due_at"], d["due_at"], d["due_local"])
        for d in _data(plans, "action.rescheduled")
    ]
    assert moved[1:] == [
        (
            "2026-11-02T18:30",
            "2026-11-02T23:30:00+00:00",
            "2026-11-02T18:30:00+00:00",
            "2026-11-02T18:30:00+00:00",
        )
    ]
    assert len(_data(plans, "action.scheduled")) == 2  # nothing announced twice
    # a second copy of the event moves nothing more
    plans.event("client.updated", tenant_id, moved_to_london, occurred_at=NOW)
    assert len(_data(plans, "action.rescheduled")) == 2
