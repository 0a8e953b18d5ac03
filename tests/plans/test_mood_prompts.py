"""``PUT /v1/plans/{id}/mood-prompts``: the coach (or an org admin) asks for self
check-ins on chosen weekdays at a local time, or stops them; plans keeps the setting on
the plan and announces every change to notifications."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from services.plans.models import Outbox, Revision

NOW = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)
MON_THU = {"weekdays": ["thu", "mon"], "local_time": "18:00"}


@pytest.fixture
def world(plans):
    plans.clock.set(NOW)
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    client = plans.onboard(tenant_id, coach_id)
    app = plans.http
    tokens = {
        "coach": plans.coach_token(tenant_id, coach_id),
        "admin": plans.token(tenant_id, "org_admin"),
        "other_coach": plans.token(tenant_id, "coach"),
        "other_tenant_admin": plans.token(uuid.uuid4(), "org_admin"),
    }

    def call(who, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"Bearer {tokens[who]}"
        return app.open(path, method=method, headers=headers, **kwargs)

    plan = call("coach", "GET", f"/v1/plans?client_id={client['client_id']}").get_json()["items"][0]
    path = f"/v1/plans/{plan['id']}"
    return {
        "call": call,
        "plan": plan,
        "path": path,
        "client": client,
        "tenant": tenant_id,
        "clock": plans.clock,
    }


def _activate(w) -> None:
    reply = w["call"]("coach", "PATCH", w["path"], json={"status": "active"})
    assert reply.status_code == 200, reply.get_json()
    # The coach's next change comes later: on a frozen clock the history's order (oldest
    # first) is the order of its moments.
    w["clock"].advance(minutes=1)


def _written(plans) -> tuple[int, int]:
    with plans.runtime.session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Outbox)),
            session.scalar(select(func.count()).select_from(Revision)),
        )


def _announced(plans) -> list[dict]:
    return [e["data"] for e in plans.published("plan.mood_prompts_set")]


def test_the_coach_sets_them_the_plan_shows_them_and_notifications_hears(world, plans):
    w = world
    call, prompts = w["call"], f"{w['path']}/mood-prompts"
    _activate(w)
    assert call("coach", "GET", w["path"]).get_json()["mood_prompts"] is None

    reply = call("coach", "PUT", prompts, json=MON_THU)
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {"weekdays": ["mon", "thu"], "local_time": "18:00"}  # week order
    plan = call("coach", "GET", w["path"])
    assert plan.get_json()["mood_prompts"] == {"weekdays": ["mon", "thu"], "local_time": "18:00"}
    assert plan.headers["ETag"] == reply.headers["ETag"]
    [event] = _announced(plans)
    assert event == {
        "plan_id": w["plan"]["id"],
        "client_id": w["client"]["client_id"],
        "weekdays": ["mon", "thu"],
        "local_time": "18:00",
    }
    history = call("coach", "GET", f"{w['path']}/history").get_json()["items"]
    assert history[-1]["fields"]["mood_prompt_local_time"] == {"from": None, "to": "18:00"}

    # The same setting again changes nothing and announces nothing.
    assert call("coach", "PUT", prompts, json=MON_THU).status_code == 200
    assert len(_announced(plans)) == 1

    # An org admin may change it; an out-of-date If-Match is refused.
    stale = call("admin", "PUT", prompts, json=MON_THU, headers={"If-Match": '"stale.1"'})
    assert stale.status_code == 412
    fresh = call(
        "admin",
        "PUT",
        prompts,
        json={"weekdays": ["sun"], "local_time": "09:30"},
        headers={"If-Match": plan.headers["ETag"]},
    )
    assert fresh.status_code == 200 and fresh.get_json()["weekdays"] == ["sun"]

    # null stops them.
    stopped = call("coach", "PUT", prompts, data="null", content_type="application/json")
    assert stopped.status_code == 200, stopped.get_json()
    assert stopped.get_json() == {"weekdays": None, "local_time": None}
    assert call("coach", "GET", w["path"]).get_json()["mood_prompts"] is None
    assert _announced(plans)[-1] | {"plan_id": None} == {
        "plan_id": None,
        "client_id": w["client"]["client_id"],
        "weekdays": None,
        "local_time": None,
    }
    # So do both fields null.
    call("coach", "PUT", prompts, json=MON_THU)
    off = call("coach", "PUT", prompts, json={"weekdays": None, "local_time": None})
    assert off.status_code == 200 and _announced(plans)[-1]["weekdays"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weekdays": [], "local_time": "18:00"}, "weekdays"),
        ({"weekdays": ["monday"], "local_time": "18:00"}, "weekdays"),
        ({"weekdays": ["mon", "mon"], "local_time": "18:00"}, "weekdays"),
        ({"weekdays": "mon", "local_time": "18:00"}, "weekdays"),
        ({"weekdays": [1], "local_time": "18:00"}, "weekdays"),
        ({"local_time": "18:00"}, "weekdays"),
        ({"weekdays": None, "local_time": "18:00"}, "weekdays"),
        ({"weekdays": ["mon"]}, "local_time"),
        ({"weekdays": ["mon"], "local_time": None}, "local_time"),
        ({"weekdays": ["mon"], "local_time": "6pm"}, "local_time"),
        ({"weekdays": ["mon"], "local_time": "24:00"}, "local_time"),
        ({"weekdays": ["mon"], "local_time": "18:00\n"}, "local_time"),
        ({"weekdays": ["mon"], "local_time": "18:00", "hour": 6}, "hour"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field_and_nothing_is_written(
    world, plans, body, field
):
    _activate(world)
    before = _written(plans)
    reply = world["call"]("coach", "PUT", f"{world['path']}/mood-prompts", json=body)
    assert reply.status_code == 422, reply.get_json()
    assert reply.content_type == "application/problem+json"
    assert field in reply.get_json()["errors"], reply.get_json()
    assert _written(plans) == before
    assert world["call"]("coach", "GET", world["path"]).get_json()["mood_prompts"] is None


def test_another_coach_or_organisation_gets_404_and_nothing_is_written(world, plans):
    _activate(world)
    before = _written(plans)
    for who in ("other_coach", "other_tenant_admin"):
        reply = world["call"](who, "PUT", f"{world['path']}/mood-prompts", json=MON_THU)
        assert reply.status_code == 404, who
        assert reply.content_type == "application/problem+json"
    assert _written(plans) == before


def test_only_an_active_plan_or_one_under_review_prompts_and_completion_stops_them(world, plans):
    w = world
    call, prompts = w["call"], f"{w['path']}/mood-prompts"
    draft = call("coach", "PUT", prompts, json=MON_THU)
    assert draft.status_code == 409 and draft.content_type == "application/problem+json"
    assert _announced(plans) == []

    _activate(w)
    assert call("coach", "PUT", prompts, json=MON_THU).status_code == 200
    assert call("coach", "PATCH", w["path"], json={"status": "under_review"}).status_code == 200
    assert (
        call("coach", "PUT", prompts, json={"weekdays": ["fri"], "local_time": "08:00"}).status_code
        == 200
    )

    completed = call("coach", "PATCH", w["path"], json={"status": "completed"})
    assert completed.status_code == 200
    assert completed.get_json()["mood_prompts"] is None
    assert [e["weekdays"] for e in _announced(plans)] == [["mon", "thu"], ["fri"], None]
    assert call("coach", "PUT", prompts, json=MON_THU).status_code == 409


def test_discharge_closes_the_plan_and_clears_its_prompts(world, plans):
    w = world
    _activate(w)
    assert w["call"]("coach", "PUT", f"{w['path']}/mood-prompts", json=MON_THU).status_code == 200
    plans.event(
        "client.discharged",
        w["tenant"],
        {
            "client_id": w["client"]["client_id"],
            "reason": "completed",
            "discharged_at": NOW.isoformat(),
        },
    )
    plan = w["call"]("coach", "GET", w["path"]).get_json()
    assert (plan["status"], plan["mood_prompts"]) == ("closed", None)
