"""What plans tells notifications for the client's own page: a goal's title, status or
progress changing is ``goal.updated``; and what it does when the client takes back a
Done (``action.completion_withdrawn``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shared.clock import FrozenClock
from tests.support.plans import onboard, plan_events, token_for

NOW = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # Wednesday, 08:00 in New York (EDT)


def _active_plan(system, settings):
    system.runtimes["plans"].clock = FrozenClock(NOW)
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    client = onboard(system, tenant_id, coach_id, timezone="America/New_York")
    web = system.apps["plans"].test_client()
    auth = {"Authorization": f"Bearer {token_for(settings, tenant_id, coach_id)}"}
    listed = web.get(f"/v1/plans?client_id={client['client_id']}", headers=auth).get_json()
    plan = listed["items"][0]
    activated = web.patch(f"/v1/plans/{plan['id']}", headers=auth, json={"status": "active"})
    assert activated.status_code == 200, activated.get_json()
    return tenant_id, client, plan, web, auth


def _goal_updates(system) -> list[tuple]:
    return [
        (e["data"]["title"], e["data"]["status"], e["data"]["progress"])
        for e in plan_events(system, "goal.updated")
    ]


def test_a_goals_title_status_or_progress_changing_is_announced_as_goal_updated(system, settings):
    _, client, plan, web, auth = _active_plan(system, settings)
    goal = plan["goals"][0]
    path = f"/v1/goals/{goal['id']}"

    assert web.patch(path, headers=auth, json={"status": "active"}).status_code == 200
    assert web.patch(path, headers=auth, json={"progress": 40}).status_code == 200
    assert web.patch(path, headers=auth, json={"progress": 40}).status_code == 200  # no change
    assert web.patch(path, headers=auth, json={"description": "In my words"}).status_code == 200
    assert web.patch(path, headers=auth, json={"title": "See friends weekly"}).status_code == 200
    assert web.patch(path, headers=auth, json={"status": "achieved"}).status_code == 200

    assert _goal_updates(system) == [
        ("See friends every week", "active", 0),
        ("See friends every week", "active", 40),
        ("See friends weekly", "active", 40),
        ("See friends weekly", "achieved", 100),
    ]
    [last] = plan_events(system, "goal.updated")[-1:]
    assert last["data"]["client_id"] == client["client_id"]
    assert last["data"]["plan_id"] == plan["id"]
    assert last["data"]["domain"] == goal["domain"]
    assert len(plan_events(system, "goal.achieved")) == 1


def test_a_new_goal_is_announced_with_its_status_and_progress(system, settings):
    _, _, plan, web, auth = _active_plan(system, settings)
    added = web.post(
        f"/v1/plans/{plan['id']}/goals",
        headers=auth,
        json={"title": "Walk to the shops", "domain": "physical_health", "progress": 10},
    )
    assert added.status_code == 201, added.get_json()
    [created] = plan_events(system, "goal.created")
    assert (created["data"]["status"], created["data"]["progress"]) == ("proposed", 10)
    assert created["data"]["target_date"] is None
