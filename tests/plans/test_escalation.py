"""``PUT /v1/plans/{id}/escalation``: how an unanswered self check-in escalates (a
reminder to the client, then the client's supporters), per plan, with the organisation's
defaults; and the supporters' events in the plan's history, without personal data."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

NOW = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def world(plans):
    plans.clock.set(NOW)
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    client = plans.onboard(tenant_id, coach_id)
    tokens = {
        "coach": plans.coach_token(tenant_id, coach_id),
        "admin": plans.token(tenant_id, "org_admin"),
        "other_coach": plans.token(tenant_id, "coach"),
        "other_tenant_admin": plans.token(uuid.uuid4(), "org_admin"),
    }

    def call(who, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"Bearer {tokens[who]}"
        return plans.http.open(path, method=method, headers=headers, **kwargs)

    plan = call("coach", "GET", f"/v1/plans?client_id={client['client_id']}").get_json()["items"][0]
    return {
        "call": call,
        "plan": plan,
        "path": f"/v1/plans/{plan['id']}/escalation",
        "client": client["client_id"],
        "tenant": tenant_id,
        "plans": plans,
    }


def test_the_defaults_fill_what_the_coach_leaves_out_and_a_change_is_announced(world):
    w = world
    reply = w["call"]("coach", "PUT", w["path"], json={"supporters_after_missed": 2})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {
        "client_reminder_after_minutes": 30,
        "supporters_after_missed": 2,
        "supporters_after_minutes": 120,
    }
    assert reply.headers["ETag"]
    [announced] = w["plans"].published_data("plan.escalation_set")
    assert announced == {
        "plan_id": w["plan"]["id"],
        "client_id": str(w["client"]),
        "client_reminder_after_minutes": 30,
        "supporters_after_missed": 2,
        "supporters_after_minutes": 120,
    }
    again = w["call"]("coach", "PUT", w["path"], json={"supporters_after_missed": 2})
    assert again.status_code == 200
    assert len(w["plans"].published_data("plan.escalation_set")) == 1  # nothing changed


def test_the_organisations_defaults_apply(world):
    w = world
    settings = w["call"]("admin", "GET", "/v1/settings")
    reply = w["call"](
        "admin",
        "PUT",
        "/v1/settings",
        json={
            "review_interval_weeks": 12,
            "missed_checkin_after_minutes": 1440,
            "escalation_client_reminder_after_minutes": 15,
        },
        headers={"If-Match": settings.headers["ETag"]},
    )
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["escalation_client_reminder_after_minutes"] == 15
    set_ = w["call"]("coach", "PUT", w["path"], json={"supporters_after_minutes": 60})
    assert set_.get_json()["client_reminder_after_minutes"] == 15


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_reminder_after_minutes": 0}, "client_reminder_after_minutes"),
        ({"supporters_after_missed": 15}, "supporters_after_missed"),
        ({"supporters_after_minutes": 7 * 24 * 60 + 1}, "supporters_after_minutes"),
        ({"supporters_after_minutes": "soon"}, "supporters_after_minutes"),
    ],
)
def test_a_window_out_of_bounds_is_a_422_naming_it(world, body, field):
    reply = world["call"]("coach", "PUT", world["path"], json=body)
    assert reply.status_code == 422
    assert reply.content_type == "application/problem+json"
    assert field in reply.get_json()["errors"]
    assert world["plans"].published_data("plan.escalation_set") == []


def test_a_stale_if_match_is_a_412(world):
    reply = world["call"]("coach", "PUT", world["path"], json={}, headers={"If-Match": '"stale"'})
    assert reply.status_code == 412


@pytest.mark.parametrize("who", ["other_coach", "other_tenant_admin"])
def test_other_coaches_and_organisations_get_a_404(world, who):
    reply = world["call"](who, "PUT", world["path"], json={"supporters_after_missed": 3})
    assert reply.status_code == 404
    assert world["plans"].published_data("plan.escalation_set") == []


def test_supporters_events_are_in_the_plans_history_without_personal_data(world):
    w = world
    supporter = uuid.uuid4()
    for event_type, extra in (
        ("supporter.invited", {"scopes": ["missed_checkins"]}),
        ("supporter.confirmed", {"scopes": ["missed_checkins"]}),
        ("supporter.alerted", {"scope": "missed_checkins"}),
        ("supporter.all_clear", {}),
        ("supporter.removed", {"by": "supporter"}),
    ):
        envelope = w["plans"].event(
            event_type,
            w["tenant"],
            {"supporter_id": supporter, "client_id": w["client"], "at": NOW} | extra,
        )
        # Delivered twice: recorded once (the inbox).
        w["plans"].processor.process(json.dumps(envelope).encode(), {})
    history = w["call"]("coach", "GET", f"/v1/plans/{w['plan']['id']}/history").get_json()
    supporters = [r for r in history["items"] if r["entity"] == "supporter"]
    assert [r["change"] for r in supporters] == [
        "invited",
        "confirmed",
        "alerted",
        "all_clear",
        "removed",
    ]
    assert all(r["entity_id"] == str(supporter) for r in supporters)
