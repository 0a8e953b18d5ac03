"""What plans tells notifications for the client's own page: a goal's title, status or
progress changing is ``goal.updated``; and what it does when the client takes back a
Done (``action.completion_withdrawn``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.support import builders

NOW = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # Wednesday, 08:00 in New York (EDT)


def _active_plan(plans):
    plans.clock.set(NOW)
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    client = plans.onboard(tenant_id, coach_id, timezone="America/New_York")
    web = plans.http
    auth = {"Authorization": f"Bearer {plans.coach_token(tenant_id, coach_id)}"}
    listed = web.get(f"/v1/plans?client_id={client['client_id']}", headers=auth).get_json()
    plan = listed["items"][0]
    activated = web.patch(f"/v1/plans/{plan['id']}", headers=auth, json={"status": "active"})
    assert activated.status_code == 200, activated.get_json()
    return tenant_id, client, plan, web, auth


def _goal_updates(plans) -> list[tuple]:
    return [
        (e["data"]["title"], e["data"]["status"], e["data"]["progress"])
        for e in plans.published("goal.updated")
    ]


def test_a_goals_title_status_or_progress_changing_is_announced_as_goal_updated(plans):
    _, client, plan, web, auth = _active_plan(plans)
    goal = plan["goals"][0]
    path = f"/v1/goals/{goal['id']}"

    assert web.patch(path, headers=auth, json={"status": "active"}).status_code == 200
    assert web.patch(path, headers=auth, json={"progress": 40}).status_code == 200
    assert web.patch(path, headers=auth, json={"progress": 40}).status_code == 200  # no change
    assert web.patch(path, headers=auth, json={"description": "In my words"}).status_code == 200
    assert web.patch(path, headers=auth, json={"title": "See friends weekly"}).status_code == 200
    assert web.patch(path, headers=auth, json={"status": "achieved"}).status_code == 200

    # Activation announces the goals drafted at onboarding (the page shows them from day
    # one); then each change.
    drafted = [(g["title"], g["status"], g["progress"]) for g in plan["goals"]]
    assert _goal_updates(plans)[: len(drafted)] == drafted
    assert _goal_updates(plans)[len(drafted) :] == [
        ("See friends every week", "active", 0),
        ("See friends every week", "active", 40),
        ("See friends weekly", "active", 40),
        ("See friends weekly", "achieved", 100),
    ]
    [last] = plans.published("goal.updated")[-1:]
    assert last["data"]["client_id"] == client["client_id"]
    assert last["data"]["plan_id"] == plan["id"]
    assert last["data"]["domain"] == goal["domain"]
    assert len(plans.published("goal.achieved")) == 1


def test_a_new_goal_is_announced_with_its_status_and_progress(plans):
    _, _, plan, web, auth = _active_plan(plans)
    added = web.post(
        f"/v1/plans/{plan['id']}/goals",
        headers=auth,
        json={"title": "Walk to the shops", "domain": "physical_health", "progress": 10},
    )
    assert added.status_code == 201, added.get_json()
    [created] = plans.published("goal.created")
    assert (created["data"]["status"], created["data"]["progress"]) == ("proposed", 10)
    assert created["data"]["target_date"] is None


# Mondays and Thursdays at 18:30 local time: Thu 29 Oct is the first one announced.
WEEKLY_AT_HALF_SIX = {
    "title": "Phone a friend",
    "frequency": "weekly",
    "weekdays": ["mon", "thu"],
    "local_time": "18:30",
    "start_date": "2026-10-26",
    "end_date": "2026-12-31",
}
THURSDAY = "2026-10-29T18:30"


def _weekly_step(plans):
    tenant_id, client, plan, web, auth = _active_plan(plans)
    step = web.post(
        f"/v1/goals/{plan['goals'][0]['id']}/actions", headers=auth, json=WEEKLY_AT_HALF_SIX
    ).get_json()
    return tenant_id, client, plan, web, auth, step


def _done(plans, tenant_id, client, step, reply_id, received_at=NOW) -> None:
    done = builders.client_replied(
        client["client_id"],
        received_at,
        reply_id=reply_id,
        action_id=step["id"],
        occurrence_key=THURSDAY,
    )
    plans.event("client.replied", tenant_id, done)


def _withdraw(plans, tenant_id, client, step, reply_id, at=NOW + timedelta(minutes=2)) -> None:
    withdrawn = builders.completion_withdrawn(
        client["client_id"], reply_id, step["id"], THURSDAY, at
    )
    plans.event("action.completion_withdrawn", tenant_id, withdrawn)


def _thursday(web, auth, step) -> str:
    occurrences = web.get(f"/v1/actions/{step['id']}", headers=auth).get_json()["occurrences"]
    return {o["occurrence_key"]: o["status"] for o in occurrences}[THURSDAY]


def _announced(plans) -> list[str]:
    return [
        e["data"]["occurrence_key"]
        for e in plans.published("action.scheduled")
        if e["data"]["occurrence_key"] == THURSDAY
    ]


def test_a_done_taken_back_reopens_its_occurrence_once_and_announces_it_again(plans):
    tenant_id, client, plan, web, auth, step = _weekly_step(plans)
    reply_id = uuid.uuid4()
    _done(plans, tenant_id, client, step, reply_id)
    assert _thursday(web, auth, step) == "completed"
    assert _announced(plans) == [THURSDAY]

    _withdraw(plans, tenant_id, client, step, reply_id)
    assert _thursday(web, auth, step) == "scheduled"
    assert _announced(plans) == [THURSDAY, THURSDAY]  # its reminder comes back
    history = web.get(f"/v1/plans/{plan['id']}/history?limit=100", headers=auth).get_json()
    [reopened] = [r for r in history["items"] if r["change"] == "occurrence_reopened"]
    assert reopened["fields"] == {"occurrence_key": THURSDAY, "reply_id": str(reply_id)}
    assert reopened["actor_id"] is None
    journal = web.get(f"/v1/plans/{plan['id']}/journal", headers=auth).get_json()["items"]
    assert [(e["intent"], e["withdrawn_at"] is not None) for e in journal] == [("done", True)]

    _withdraw(plans, tenant_id, client, step, reply_id)  # delivered again
    assert _thursday(web, auth, step) == "scheduled"
    assert _announced(plans) == [THURSDAY, THURSDAY]

    # Said again on the page (the same reply id, later): done again.
    _done(plans, tenant_id, client, step, reply_id, received_at=NOW + timedelta(minutes=3))
    assert _thursday(web, auth, step) == "completed"
    assert len(plans.published("action.completed")) == 2
    # The first taking back, sent again by a relay that crashed: not about this Done.
    _withdraw(plans, tenant_id, client, step, reply_id)
    assert _thursday(web, auth, step) == "completed"


def test_an_occurrence_a_coach_completed_is_not_reopened_by_the_clients_undo(plans):
    tenant_id, client, _plan, web, auth, step = _weekly_step(plans)
    completed = web.post(
        f"/v1/actions/{step['id']}/complete", headers=auth, json={"occurrence_key": THURSDAY}
    )
    assert completed.status_code == 200, completed.get_json()
    reply_id = uuid.uuid4()
    _done(plans, tenant_id, client, step, reply_id)  # already done: only the journal

    _withdraw(plans, tenant_id, client, step, reply_id)
    assert _thursday(web, auth, step) == "completed"
    assert _announced(plans) == [THURSDAY]


def test_a_done_taken_back_after_the_client_was_erased_changes_nothing(plans):
    tenant_id, client, _plan, web, auth, step = _weekly_step(plans)
    reply_id = uuid.uuid4()
    _done(plans, tenant_id, client, step, reply_id)
    plans.event("client.erased", tenant_id, {"client_id": client["client_id"]})

    _withdraw(plans, tenant_id, client, step, reply_id)
    assert _announced(plans) == [THURSDAY]
    assert len(plans.published("action.completed")) == 1


def test_a_done_taken_back_before_plans_heard_of_it_completes_nothing(plans):
    tenant_id, client, plan, web, auth, step = _weekly_step(plans)
    reply_id = uuid.uuid4()
    _withdraw(plans, tenant_id, client, step, reply_id)  # overtook the Done's retry
    _done(plans, tenant_id, client, step, reply_id)

    assert _thursday(web, auth, step) == "scheduled"
    assert plans.published("action.completed") == []
    journal = web.get(f"/v1/plans/{plan['id']}/journal", headers=auth).get_json()["items"]
    assert [(e["intent"], e["received_at"], e["withdrawn_at"] is not None) for e in journal] == [
        ("done", NOW.isoformat(), True)
    ]

    # Said again on the page afterwards: done.
    _done(plans, tenant_id, client, step, reply_id, received_at=NOW + timedelta(minutes=3))
    assert _thursday(web, auth, step) == "completed"
