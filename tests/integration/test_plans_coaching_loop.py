"""The coaching loop through HTTP and events, with the plans clock frozen and stepped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from services.plans.reports.charts import WELLBEING_GID
from services.plans.scheduler import PlansScheduler
from shared.clock import FrozenClock
from tests.support.plans import deliver, plan_events, token_for

MONDAY_MORNING_SYDNEY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 11:00 local, AEDT


def test_onboard_plan_goals_weekly_action_checkins_achievement_progress_and_review(
    api, tenant, system, settings
):
    clock = FrozenClock(MONDAY_MORNING_SYDNEY)
    runtime = system.runtimes["plans"]
    runtime.clock = clock
    scheduler = PlansScheduler(runtime)
    client = api.onboarded_client(tenant["token"], tenant["staff_id"], timezone="Australia/Sydney")
    system.settle()
    coach = token_for(settings, tenant["organisation"]["organisation"]["id"], tenant["staff_id"])

    def plans(method, path, **kwargs):
        return api.call("plans", method, path, coach, **kwargs)

    # onboarding drafted the plan
    plan = api.plans_of(coach, client["id"])[0]
    assert plan["status"] == "draft" and len(plan["goals"]) == 2
    garden, routine = plan["goals"]

    # edit goals: activate one with details (ETag / If-Match), add one
    etag = plans("GET", f"/v1/goals/{garden['id']}").headers["ETag"]
    edited = plans(
        "PATCH",
        f"/v1/goals/{garden['id']}",
        json={
            "status": "active",
            "description": "Meet people outdoors",
            "measure_of_success": "Attends 4 sessions",
            "target_date": "2026-06-30",
            "priority": "high",
        },
        headers={"If-Match": etag},
    )
    assert edited.status == 200, edited.body
    assert edited.body["priority"] == "high" and edited.headers["ETag"] != etag
    stale = plans(
        "PATCH", f"/v1/goals/{garden['id']}", json={"progress": 5}, headers={"If-Match": etag}
    )
    assert stale.status == 412
    illegal = plans("PATCH", f"/v1/goals/{routine['id']}", json={"status": "achieved"})
    assert illegal.status == 409 and "status" in illegal.body["errors"]
    added = plans(
        "POST",
        f"/v1/plans/{plan['id']}/goals",
        json={"title": "Walk to the shops", "domain": "physical_health"},
        headers={"Idempotency-Key": "goal-walk"},
    )
    assert added.status == 201 and added.body["status"] == "proposed"
    again = plans(
        "POST",
        f"/v1/plans/{plan['id']}/goals",
        json={"title": "Walk to the shops", "domain": "physical_health"},
        headers={"Idempotency-Key": "goal-walk"},
    )
    assert again.body["id"] == added.body["id"]
    assert len(plan_events(system, "goal.created")) == 1

    # a weekly action: nothing is announced while the plan is a draft
    weekly = plans(
        "POST",
        f"/v1/goals/{garden['id']}/actions",
        json={
            "title": "Go to the garden group",
            "frequency": "weekly",
            "weekdays": ["mon", "thu"],
            "local_time": "09:00",
            "start_date": "2026-03-02",
            "reminder_lead_minutes": 90,
        },
    )
    assert weekly.status == 201, weekly.body
    assert plan_events(system, "action.scheduled") == []

    # activate: review due in 12 weeks, occurrences in the next 8 days announced
    activated = plans(
        "PATCH",
        f"/v1/plans/{plan['id']}",
        json={"status": "active"},
        headers={"If-Match": plans("GET", f"/v1/plans/{plan['id']}").headers["ETag"]},
    )
    assert activated.status == 200, activated.body
    assert activated.body["review_due_on"] == "2026-05-25"
    # the plan-ready message says how many goals the client starts with
    assert [e["data"]["goal_count"] for e in plan_events(system, "plan.activated")] == [3]
    scheduled = [e["data"] for e in plan_events(system, "action.scheduled")]
    assert [(s["occurrence_key"], s["due_at"], s["due_local"]) for s in scheduled] == [
        ("2026-03-05T09:00", "2026-03-04T22:00:00+00:00", "2026-03-05T09:00:00+11:00"),
        ("2026-03-09T09:00", "2026-03-08T22:00:00+00:00", "2026-03-09T09:00:00+11:00"),
    ]
    assert {s["reminder_lead_minutes"] for s in scheduled} == {90}
    assert plans("PATCH", f"/v1/plans/{plan['id']}", json={"status": "completed"}).status == 409

    # check-ins: scheduled, recorded with wellbeing and notes linked to a goal
    wellbeing = []
    for day, score in ((3, 6), (6, 8)):
        starts = datetime(2026, 3, day, 0, 0, tzinfo=UTC)
        checkin = plans(
            "POST",
            f"/v1/plans/{plan['id']}/checkins",
            json={"starts_at": starts.isoformat(), "duration_minutes": 45, "mode": "phone"},
        )
        assert checkin.status == 201, checkin.body
        clock.set(starts.replace(hour=1))
        recorded = plans(
            "POST",
            f"/v1/checkins/{checkin.body['id']}/record",
            json={
                "attended": True,
                "wellbeing": score,
                "notes": "Talked about the garden",
                "goals_discussed": [garden["id"]],
                "obstacles": "Bus times",
                "next_steps": "Try the early bus",
            },
        )
        assert recorded.status == 200, recorded.body
        wellbeing.append(score)
    recorded_events = [e["data"] for e in plan_events(system, "checkin.recorded")]
    assert [e["wellbeing"] for e in recorded_events] == wellbeing
    assert all("notes" not in e for e in recorded_events)

    # complete Thursday's occurrence; the horizon moves on with the clock, once
    done = plans(
        "POST",
        f"/v1/actions/{weekly.body['id']}/complete",
        json={"occurrence_key": "2026-03-05T09:00"},
        headers={"Idempotency-Key": "k1"},
    )
    assert done.status == 200, done.body
    assert plan_events(system, "action.completed")[0]["data"]["occurrence_key"] == (
        "2026-03-05T09:00"
    )
    clock.set(datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    scheduler.tick()
    scheduler.tick()
    keys = [e["data"]["occurrence_key"] for e in plan_events(system, "action.scheduled")]
    assert keys == ["2026-03-05T09:00", "2026-03-09T09:00", "2026-03-12T09:00", "2026-03-16T09:00"]
    listed = plans("GET", f"/v1/plans/{plan['id']}/actions").body["items"][0]
    assert listed["overdue_count"] == 1  # Monday the 9th was not done
    assert [o["occurrence_key"] for o in listed["occurrences"] if o["overdue"]] == [
        "2026-03-09T09:00"
    ]

    # achieve the goal
    achieved = plans("PATCH", f"/v1/goals/{garden['id']}", json={"status": "achieved"})
    assert achieved.status == 200 and achieved.body["progress"] == 100
    assert [e["data"]["goal_id"] for e in plan_events(system, "goal.achieved")] == [garden["id"]]

    # progress shows it
    progress = plans("GET", f"/v1/plans/{plan['id']}/progress").body
    assert progress["goals_achieved"] == 1
    assert progress["goals_by_status"]["achieved"] == 1
    assert progress["goals_by_status"]["proposed"] == 2
    assert [p["wellbeing"] for p in progress["wellbeing"]] == [6, 8]
    assert progress["weekly_completion"] == [
        {"week": "2026-W10", "due": 1, "completed": 1, "rate": 1.0},
        {"week": "2026-W11", "due": 1, "completed": 0, "rate": 0.0},
    ]
    assert {d["domain"]: (d["baseline"], d["latest"]) for d in progress["domain_ratings"]} == {
        "mental_health": (4, 4),
        "social_connection": (3, 3),
        "housing": (7, 7),
    }

    chart = api.transport.clients["plans"].get(
        f"/v1/plans/{plan['id']}/progress.svg", headers={"Authorization": f"Bearer {coach}"}
    )
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    svg = ET.fromstring(chart.data)
    series = next(e for e in svg.iter() if e.get("id") == WELLBEING_GID)
    assert len(list(series.iter("{http://www.w3.org/2000/svg}use"))) == 2

    # nudges from notifications appear on the plan's timeline
    tenant_id = tenant["organisation"]["organisation"]["id"]
    # (The client lives in Sydney for the clock-change checks above, so the real welcome may
    # be held back by quiet hours at the hour the suite runs: both outcomes are delivered.)
    deliver(
        system,
        "notification.sent",
        tenant_id,
        {
            "nudge_id": "7a0c1d1e-0000-4000-8000-000000000002",
            "client_id": client["id"],
            "kind": "goal_celebration",
            "channel": "email",
            "reason": None,
        },
        producer="notifications",
    )
    deliver(
        system,
        "notification.failed",
        tenant_id,
        {
            "nudge_id": "7a0c1d1e-0000-4000-8000-000000000001",
            "client_id": client["id"],
            "kind": "action_reminder",
            "channel": "sms",
            "reason": "no_consent",
        },
        producer="notifications",
    )
    timeline = plans("GET", f"/v1/plans/{plan['id']}/timeline").body["items"]
    nudges = {t["summary"] for t in timeline if t["type"] == "nudge"}
    assert {"goal_celebration email sent", "action_reminder sms failed"} <= nudges
    assert nudges <= {
        "goal_celebration email sent",
        "action_reminder sms failed",
        "welcome email sent",
    }

    # the review falls due 12 weeks after activation, and is announced once
    clock.set(datetime(2026, 5, 24, 12, 0, tzinfo=UTC))  # 22:00 on the 24th in Sydney
    scheduler.tick()
    assert plan_events(system, "plan.review_due") == []
    clock.set(datetime(2026, 5, 24, 14, 0, tzinfo=UTC))  # 00:00 on the 25th in Sydney
    scheduler.tick()
    scheduler.tick()
    assert [e["data"]["review_due_on"] for e in plan_events(system, "plan.review_due")] == [
        "2026-05-25"
    ]

    # review, then complete
    assert plans("PATCH", f"/v1/plans/{plan['id']}", json={"status": "under_review"}).status == 200
    completed = plans("PATCH", f"/v1/plans/{plan['id']}", json={"status": "completed"})
    assert completed.status == 200 and completed.body["status"] == "completed"
    assert len(plan_events(system, "plan.completed")) == 1

    # every change is in the history, with who made it
    history = plans("GET", f"/v1/plans/{plan['id']}/history?limit=200").body["items"]
    changes = [(h["entity"], h["change"], h["actor"]) for h in history]
    assert ("goal", "updated", "staff") in changes
    assert ("plan", "review_due", "system") in changes
    assert {h["actor_id"] for h in history if h["actor"] == "staff"} == {tenant["staff_id"]}

    # the events reach notifications without dead letters
    system.settle()
