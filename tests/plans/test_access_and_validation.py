"""Every plans endpoint: tenant isolation and the role matrix; every write: invalid
bodies are refused as problem+json naming the fields, and nothing is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from services.plans.models import Outbox, Revision

NOW = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def world(plans):
    """A plan with a goal, a one-off action and a check-in, and people around it."""
    plans.clock.set(NOW)
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    client = plans.onboard(tenant_id, coach_id, timezone="America/New_York")
    app = plans.http
    tokens = {
        "coach": plans.coach_token(tenant_id, coach_id),
        "admin": plans.token(tenant_id, "org_admin"),
        "other_coach": plans.token(tenant_id, "coach"),
        "other_tenant_admin": plans.token(uuid.uuid4(), "org_admin"),
        "other_tenant_coach": plans.coach_token(uuid.uuid4(), coach_id),
    }

    def call(who, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if who:
            headers["Authorization"] = f"Bearer {tokens[who]}"
        return app.open(path, method=method, headers=headers, **kwargs)

    plan = call("coach", "GET", f"/v1/plans?client_id={client['client_id']}").get_json()["items"][0]
    goal = plan["goals"][0]
    action = call(
        "coach",
        "POST",
        f"/v1/goals/{goal['id']}/actions",
        json={
            "title": "Call the housing office",
            "frequency": "once",
            "due_at": "2026-09-03T15:00:00+00:00",
        },
    ).get_json()
    checkin = call(
        "coach",
        "POST",
        f"/v1/plans/{plan['id']}/checkins",
        json={
            "starts_at": "2026-09-02T14:00:00+00:00",
            "duration_minutes": 30,
            "mode": "in_person",
        },
    ).get_json()
    return {
        "call": call,
        "plan": plan,
        "goal": goal,
        "action": action,
        "checkin": checkin,
        "plans": plans,
    }


def _endpoints(w) -> list[tuple[str, str, dict | None]]:
    p, g, a, c = w["plan"]["id"], w["goal"]["id"], w["action"]["id"], w["checkin"]["id"]
    return [
        ("GET", f"/v1/plans/{p}", None),
        ("PATCH", f"/v1/plans/{p}", {"status": "active"}),
        ("GET", f"/v1/plans/{p}/history", None),
        ("GET", f"/v1/plans/{p}/timeline", None),
        ("GET", f"/v1/plans/{p}/progress", None),
        ("GET", f"/v1/plans/{p}/progress.svg", None),
        ("PUT", f"/v1/plans/{p}/mood-prompts", {"weekdays": ["mon"], "local_time": "18:00"}),
        ("PUT", f"/v1/plans/{p}/escalation", {"supporters_after_missed": 2}),
        ("POST", f"/v1/plans/{p}/goals", {"title": "New", "domain": "housing"}),
        ("GET", f"/v1/goals/{g}", None),
        ("PATCH", f"/v1/goals/{g}", {"progress": 10}),
        (
            "POST",
            f"/v1/goals/{g}/actions",
            {"title": "x", "frequency": "once", "due_at": "2026-09-09T10:00:00Z"},
        ),
        ("GET", f"/v1/plans/{p}/actions", None),
        ("GET", f"/v1/actions/{a}", None),
        ("PATCH", f"/v1/actions/{a}", {"title": "y"}),
        ("POST", f"/v1/actions/{a}/reschedule", {"due_at": "2026-09-04T15:00:00Z"}),
        ("POST", f"/v1/actions/{a}/complete", {}),
        ("POST", f"/v1/actions/{a}/cancel", {}),
        (
            "POST",
            f"/v1/plans/{p}/checkins",
            {"starts_at": "2026-09-05T14:00:00Z", "duration_minutes": 30, "mode": "phone"},
        ),
        ("GET", f"/v1/plans/{p}/checkins", None),
        ("GET", f"/v1/checkins/{c}", None),
        ("POST", f"/v1/checkins/{c}/reschedule", {"starts_at": "2026-09-02T15:00:00Z"}),
        ("POST", f"/v1/checkins/{c}/record", {"attended": True, "wellbeing": 7}),
        ("POST", f"/v1/checkins/{c}/cancel", None),
    ]


def _written(plans) -> tuple[int, int]:
    with plans.runtime.session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Outbox)),
            session.scalar(select(func.count()).select_from(Revision)),
        )


def test_outsiders_get_404_anonymous_401_and_nothing_is_written(world):
    call, plans = world["call"], world["plans"]
    before = _written(plans)
    for method, path, body in _endpoints(world):
        for who, expected in (
            (None, 401),
            ("other_coach", 404),
            ("other_tenant_admin", 404),
            ("other_tenant_coach", 404),
        ):
            reply = call(who, method, path, json=body)
            assert reply.status_code == expected, (who, method, path, reply.get_json())
            assert reply.content_type == "application/problem+json", (who, method, path)
    plans_list = f"/v1/plans?client_id={world['plan']['client_id']}"
    assert call("other_coach", "GET", plans_list).get_json()["items"] == []
    assert call("other_tenant_admin", "GET", plans_list).get_json()["items"] == []
    assert _written(plans) == before

    # the plan's coach and the organisation's admin may do all of it
    for who in ("admin", "coach"):
        for method, path, _ in _endpoints(world):
            if method == "GET":
                reply = call(who, method, path)
                assert reply.status_code == 200, (who, path, reply.get_json())
    # settings: everyone of the organisation reads; only org admins write
    assert call("coach", "GET", "/v1/settings").status_code == 200
    body = {"review_interval_weeks": 6, "missed_checkin_after_minutes": 60}
    assert call("coach", "PUT", "/v1/settings", json=body).status_code == 403
    put = call("admin", "PUT", "/v1/settings", json=body)
    # The escalation defaults (left out) keep their values beside these.
    assert put.status_code == 200 and put.get_json() == body | {
        "escalation_client_reminder_after_minutes": 30,
        "escalation_supporters_after_missed": 1,
        "escalation_supporters_after_minutes": 120,
    }
    stale = call("admin", "PUT", "/v1/settings", json=body, headers={"If-Match": '"x.0"'})
    assert stale.status_code == 412
    assert (
        call("other_tenant_admin", "GET", "/v1/settings").get_json()["review_interval_weeks"] == 12
    )
    # the organisation's interval sets the review date (31 August, 20:00 in New York)
    activated = call(
        "admin", "PATCH", f"/v1/plans/{world['plan']['id']}", json={"status": "active"}
    )
    assert activated.status_code == 200 and activated.get_json()["review_due_on"] == "2026-10-12"


INVALID = {
    "PATCH /v1/plans/{p}": [
        ({"status": "paused"}, "status"),
        ({"status": "closed"}, "status"),
        ({"risk_flagged": True}, "risk_flagged"),
        ({}, "_schema"),
        ({"unknown": 1}, "unknown"),
    ],
    "POST /v1/plans/{p}/goals": [
        ({"domain": "housing"}, "title"),
        ({"title": "", "domain": "housing"}, "title"),
        ({"title": "ok", "domain": "astrology"}, "domain"),
        ({"title": "ok", "domain": "housing", "progress": 101}, "progress"),
        ({"title": "ok", "domain": "housing", "priority": "urgent"}, "priority"),
        ({"title": "ok", "domain": "housing", "target_date": "soon"}, "target_date"),
        ({"title": "ok", "domain": "housing", "status": "achieved"}, "status"),
    ],
    "PATCH /v1/goals/{g}": [
        ({"progress": -1}, "progress"),
        ({"status": "done"}, "status"),
        ({"title": None}, "title"),
        ({}, "_schema"),
    ],
    "POST /v1/goals/{g}/actions": [
        ({"title": "x", "frequency": "once"}, "due_at"),
        ({"title": "x", "frequency": "once", "due_at": "2026-09-09T10:00:00"}, "due_at"),
        (
            {
                "title": "x",
                "frequency": "weekly",
                "local_time": "09:00",
                "start_date": "2026-09-01",
            },
            "weekdays",
        ),
        (
            {"title": "x", "frequency": "daily", "local_time": "25:00", "start_date": "2026-09-01"},
            "local_time",
        ),
        ({"title": "x", "frequency": "daily", "local_time": "09:00"}, "start_date"),
        (
            {
                "title": "x",
                "frequency": "daily",
                "local_time": "09:00",
                "start_date": "2026-09-09",
                "end_date": "2026-09-01",
            },
            "end_date",
        ),
        (
            {
                "title": "x",
                "frequency": "weekly",
                "local_time": "09:00",
                "start_date": "2026-09-01",
                "weekdays": ["funday"],
            },
            "weekdays",
        ),
        ({"title": "x", "frequency": "hourly"}, "frequency"),
        (
            {
                "title": "x",
                "frequency": "once",
                "due_at": "2026-09-09T10:00:00Z",
                "reminder_lead_minutes": -5,
            },
            "reminder_lead_minutes",
        ),
    ],
    "PATCH /v1/actions/{a}": [
        ({"local_time": "09:00"}, "local_time"),
        ({"due_at": None}, "due_at"),
        ({"title": ""}, "title"),
        ({}, "_schema"),
    ],
    "POST /v1/actions/{a}/reschedule": [({}, "due_at"), ({"due_at": "tomorrow"}, "due_at")],
    "POST /v1/actions/{a}/complete": [({"occurrence_key": "2020-01-01T09:00"}, "occurrence_key")],
    "POST /v1/actions/{a}/cancel": [({"occurrence_key": 5}, "occurrence_key")],
    "POST /v1/plans/{p}/checkins": [
        ({"duration_minutes": 30, "mode": "phone"}, "starts_at"),
        (
            {"starts_at": "2026-09-05T14:00:00Z", "duration_minutes": 0, "mode": "phone"},
            "duration_minutes",
        ),
        (
            {"starts_at": "2026-09-05T14:00:00Z", "duration_minutes": 30, "mode": "carrier pigeon"},
            "mode",
        ),
        ({"starts_at": "2026-09-05T14:00", "duration_minutes": 30, "mode": "phone"}, "starts_at"),
    ],
    "POST /v1/checkins/{c}/record": [
        ({"wellbeing": 5}, "attended"),
        ({"attended": True, "wellbeing": 11}, "wellbeing"),
        ({"attended": True, "wellbeing": 0}, "wellbeing"),
        ({"attended": False, "wellbeing": 5}, "wellbeing"),
        ({"attended": True, "goals_discussed": ["not-a-uuid"]}, "goals_discussed"),
        ({"attended": True, "goals_discussed": [str(uuid.uuid4())]}, "goals_discussed"),
    ],
    "POST /v1/checkins/{c}/reschedule": [({"duration_minutes": 45}, "starts_at")],
    "PUT /v1/settings": [
        ({"review_interval_weeks": 0, "missed_checkin_after_minutes": 60}, "review_interval_weeks"),
        ({"review_interval_weeks": 4}, "missed_checkin_after_minutes"),
    ],
}


def test_every_write_refuses_invalid_fields_by_name_and_writes_nothing(world):
    call, plans = world["call"], world["plans"]
    ids = {
        "p": world["plan"]["id"],
        "g": world["goal"]["id"],
        "a": world["action"]["id"],
        "c": world["checkin"]["id"],
    }
    before = _written(plans)
    for route, cases in INVALID.items():
        method, template = route.split(" ")
        path = template.format(**ids)
        who = "admin" if path == "/v1/settings" else "coach"
        for body, field in cases:
            reply = call(who, method, path, json=body)
            problem = reply.get_json()
            assert reply.status_code == 422, (route, body, problem)
            assert reply.content_type == "application/problem+json"
            assert field in problem["errors"], (route, body, problem)
    malformed = call(
        "coach",
        "POST",
        f"/v1/plans/{ids['p']}/goals",
        data="{not json",
        content_type="application/json",
    )
    assert malformed.status_code in (400, 422)
    assert _written(plans) == before
