"""Missed check-ins and risk flags fire exactly once, with the plans clock frozen;
discharge closes plans, erasure removes personal data, client.updated moves plans."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.plans.models import CheckIn, Goal, Revision

START = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)


def _setup(plans):
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    clock = plans.clock
    clock.set(START)
    client = plans.onboard(tenant_id, coach_id)
    token = plans.coach_token(tenant_id, coach_id)
    client_plans = plans.http

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} | kwargs.pop("headers", {})
        return client_plans.open(path, method=method, headers=headers, **kwargs)

    plan = call("GET", f"/v1/plans?client_id={client['client_id']}").get_json()["items"][0]
    assert call("PATCH", f"/v1/plans/{plan['id']}", json={"status": "active"}).status_code == 200
    return tenant_id, client, plan, call, clock


def _checkin(call, plan, starts: datetime) -> str:
    reply = call(
        "POST",
        f"/v1/plans/{plan['id']}/checkins",
        json={"starts_at": starts.isoformat(), "duration_minutes": 30, "mode": "video"},
    )
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()["id"]


def test_missed_checkins_and_risk_flags_fire_exactly_once(plans):
    _, _, plan, call, clock = _setup(plans)
    scheduler = plans.scheduler()
    # the organisation counts a check-in as missed two hours after it ends
    admin_token = None  # coaches may read settings but not change them
    assert (
        call(
            "PUT",
            "/v1/settings",
            json={"review_interval_weeks": 8, "missed_checkin_after_minutes": 120},
        ).status_code
        == 403
    )
    del admin_token
    first = _checkin(call, plan, START + timedelta(days=1))
    second = _checkin(call, plan, START + timedelta(days=8))
    _checkin(call, plan, START + timedelta(days=15))

    # within the grace period nothing happens; after it, checkin.missed once
    clock.set(START + timedelta(days=1, hours=12))
    scheduler.tick()
    assert plans.published("checkin.missed") == []
    clock.set(START + timedelta(days=2, minutes=31))
    scheduler.tick()
    scheduler.tick()
    assert [e["data"]["checkin_id"] for e in plans.published("checkin.missed")] == [first]
    assert plans.published("client.risk_flagged") == []

    # a second missed check-in in a row raises the flag, once
    clock.set(START + timedelta(days=20))
    scheduler.tick()
    scheduler.tick()
    missed = [e["data"]["checkin_id"] for e in plans.published("checkin.missed")]
    assert missed[:2] == [first, second] and len(missed) == 3
    flags = [e["data"] for e in plans.published("client.risk_flagged")]
    # second and third each end a run of two missed check-ins
    assert [(f["reason"], f["checkin_id"]) for f in flags][:1] == [("missed_checkins", second)]
    assert len(flags) == 2
    assert call("GET", f"/v1/plans/{plan['id']}").get_json()["risk_flagged"] is True

    # recording a missed check-in late is allowed; low wellbeing flags once
    recorded = call(
        "POST",
        f"/v1/checkins/{first}/record",
        json={"attended": True, "wellbeing": 3, "notes": "Hard fortnight"},
        headers={"Idempotency-Key": "record-first"},
    )
    assert recorded.status_code == 200, recorded.get_json()
    replay = call(
        "POST",
        f"/v1/checkins/{first}/record",
        json={"attended": True, "wellbeing": 3, "notes": "Hard fortnight"},
        headers={"Idempotency-Key": "record-first"},
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert (
        call(
            "POST", f"/v1/checkins/{first}/record", json={"attended": True, "wellbeing": 2}
        ).status_code
        == 409
    )
    low = [
        f
        for f in (e["data"] for e in plans.published("client.risk_flagged"))
        if f["reason"] == "low_wellbeing"
    ]
    assert [f["checkin_id"] for f in low] == [first]

    # the coach acknowledges the flag
    cleared = call("PATCH", f"/v1/plans/{plan['id']}", json={"risk_flagged": False})
    assert cleared.status_code == 200 and cleared.get_json()["risk_flagged"] is False


def test_two_schedulers_racing_emit_each_missed_checkin_once(plans):
    _, _, plan, call, clock = _setup(plans)
    for day in range(1, 11):
        _checkin(call, plan, START + timedelta(days=day))
    clock.set(START + timedelta(days=30))
    schedulers = [plans.scheduler(batch_size=3) for _ in range(2)]
    barrier = threading.Barrier(2)

    def run(scheduler):
        barrier.wait()
        for _ in range(6):
            scheduler.tick()

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    missed = [e["data"]["checkin_id"] for e in plans.published("checkin.missed")]
    assert len(missed) == 10 and len(set(missed)) == 10
    flagged = [e["data"]["checkin_id"] for e in plans.published("client.risk_flagged")]
    # each check-in flags at most once, whichever scheduler marked it
    assert flagged and len(flagged) == len(set(flagged)) and set(flagged) <= set(missed)


def test_two_in_a_row_flag_whichever_of_the_pair_concludes_first(plans):
    _, _, plan, call, clock = _setup(plans)
    first = _checkin(call, plan, START + timedelta(days=1))
    second = _checkin(call, plan, START + timedelta(days=8))
    clock.set(START + timedelta(days=8, hours=1))

    # the coach records the later one first, then the earlier one, late: a run of two
    for checkin in (second, first):
        reply = call("POST", f"/v1/checkins/{checkin}/record", json={"attended": False})
        assert reply.status_code == 200, reply.get_json()
        if checkin == second:
            assert plans.published("client.risk_flagged") == []

    flags = [e["data"] for e in plans.published("client.risk_flagged")]
    assert [(f["reason"], f["checkin_id"]) for f in flags] == [("missed_checkins", second)]


def test_client_events_move_close_and_erase_plans(plans):
    tenant_id, client, plan, call, _ = _setup(plans)
    goal_id = plan["goals"][0]["id"]
    checkin = _checkin(call, plan, START + timedelta(days=1))
    call(
        "POST",
        f"/v1/checkins/{checkin}/record",
        json={"attended": True, "wellbeing": 7, "notes": "Private words"},
    )
    call("PATCH", f"/v1/goals/{goal_id}", json={"description": "Their own words"})

    # a check-in moved, then cancelled: each announced with the client's local time
    later = _checkin(call, plan, START + timedelta(days=3))
    etag = call("GET", f"/v1/checkins/{later}").headers["ETag"]
    moved = call(
        "POST",
        f"/v1/checkins/{later}/reschedule",
        headers={"If-Match": etag},
        json={"starts_at": "2026-07-04T23:30:00+00:00", "mode": "in_person"},
    )
    assert moved.status_code == 200, moved.get_json()
    assert (
        call("POST", f"/v1/checkins/{later}/cancel", headers={"If-Match": etag}).status_code == 412
    )
    assert call("POST", f"/v1/checkins/{later}/cancel").status_code == 200
    assert call("POST", f"/v1/checkins/{later}/cancel").status_code == 409
    [rescheduled] = [e["data"] for e in plans.published("checkin.rescheduled")]
    assert rescheduled["starts_local"] == "2026-07-05T09:30:00+10:00"
    assert rescheduled["mode"] == "in_person"
    assert [e["data"]["checkin_id"] for e in plans.published("checkin.cancelled")] == [later]

    # client.updated: the plan follows the new coach; the old coach no longer sees it
    new_coach = uuid.uuid4()
    plans.event(
        "client.updated",
        tenant_id,
        {
            "client_id": client["client_id"],
            "changed": ["coach_id"],
            "coach_id": str(new_coach),
            "contact": client["contact"] | {"timezone": "Europe/London"},
        },
    )
    assert call("GET", f"/v1/plans/{plan['id']}").status_code == 404
    new = plans.coach_token(tenant_id, new_coach)
    seen = plans.http.get(f"/v1/plans/{plan['id']}", headers={"Authorization": f"Bearer {new}"})
    assert seen.status_code == 200 and seen.get_json()["timezone"] == "Europe/London"

    # discharge closes the plan; nothing more can change
    plans.event(
        "client.discharged",
        tenant_id,
        {
            "client_id": client["client_id"],
            "reason": "goals met",
            "discharged_at": START.isoformat(),
        },
    )
    headers = {"Authorization": f"Bearer {new}"}
    app = plans.http
    closed = app.get(f"/v1/plans/{plan['id']}", headers=headers).get_json()
    assert closed["status"] == "closed" and closed["closed_reason"] == "discharged"
    assert (
        app.post(
            f"/v1/plans/{plan['id']}/goals",
            headers=headers,
            json={"title": "x", "domain": "housing"},
        ).status_code
        == 409
    )

    # erasure removes the words that came from the client
    plans.event("client.erased", tenant_id, {"client_id": client["client_id"]})
    with plans.runtime.session_factory() as session:
        titles = session.scalars(select(Goal.title).where(Goal.plan_id == plan["id"])).all()
        notes = session.scalars(select(CheckIn.notes).where(CheckIn.plan_id == plan["id"])).all()
        fields = session.scalars(select(Revision.fields).where(Revision.plan_id == plan["id"]))
        assert set(titles) == {"[erased]"} and set(notes) == {None}
        assert "Their own words" not in str(list(fields))
    erased = app.get(f"/v1/plans/{plan['id']}", headers=headers).get_json()
    assert erased["baseline_ratings"] == {}


def test_a_draft_plans_check_ins_are_announced_only_when_it_becomes_active(plans):
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    plans.clock.set(START)
    client = plans.onboard(tenant_id, coach_id)
    token = plans.coach_token(tenant_id, coach_id)
    web = plans.http
    headers = {"Authorization": f"Bearer {token}"}
    plan = web.get(f"/v1/plans?client_id={client['client_id']}", headers=headers).get_json()
    plan = plan["items"][0]
    assert plan["status"] == "draft"

    def checkin(starts):
        body = {"starts_at": starts.isoformat(), "duration_minutes": 30, "mode": "video"}
        reply = web.post(f"/v1/plans/{plan['id']}/checkins", json=body, headers=headers)
        assert reply.status_code == 201, reply.get_json()
        return reply.get_json()["id"]

    past, coming = checkin(START - timedelta(hours=1)), checkin(START + timedelta(days=2))
    # Nothing about a draft plan reaches notifications, so no reminder can go.
    assert plans.published("checkin.scheduled") == []

    activated = web.patch(f"/v1/plans/{plan['id']}", json={"status": "active"}, headers=headers)
    assert activated.status_code == 200
    types = [e["type"] for e in plans.published("plan.activated", "checkin.scheduled")]
    assert types == ["plan.activated", "checkin.scheduled"]
    [announced] = plans.published("checkin.scheduled")
    assert announced["data"]["checkin_id"] == coming != past
