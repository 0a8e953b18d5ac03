"""The client's own page through the whole system: the coach's goal progress reaches the
page, and a Done the client takes back on the page reopens the step in plans."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from coaching.registry import load_settings
from shared.clock import FrozenClock

SYDNEY = "Australia/Sydney"
BASE_URL = "https://notify.harbour.example"
# Wednesday 1 July, 12:00 in Sydney (AEST, UTC+10).
NOON = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
TODAY = "2026-07-01T12:30"


@pytest.fixture
def settings(env, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE_URL)
    return load_settings()


@pytest.fixture
def clock(system):
    frozen = FrozenClock(NOON)
    system.runtimes["notifications"].clock = frozen
    system.runtimes["plans"].clock = frozen
    return frozen


def _client_with_a_goal_and_a_daily_step(api, tenant, system):
    coach, coach_token = api.add_staff(tenant["token"])
    client = api.onboarded_client(
        tenant["token"],
        coach["id"],
        timezone=SYDNEY,
        phone=None,
        consent={"email": True, "sms": False},
    )
    system.settle()
    [plan] = api.plans_of(coach_token, client["id"])
    preferences = f"/v1/clients/{client['id']}/preferences"
    capped = api.call("notifications", "PUT", preferences, coach_token, json={"daily_cap": 10})
    assert capped.status == 200, capped.body
    activated = api.call(
        "plans", "PATCH", f"/v1/plans/{plan['id']}", coach_token, json={"status": "active"}
    )
    assert activated.status == 200, activated.body
    goal = plan["goals"][0]
    step = api.call(
        "plans",
        "POST",
        f"/v1/goals/{goal['id']}/actions",
        coach_token,
        json={
            "title": "Morning walk",
            "frequency": "daily",
            "local_time": "12:30",
            "start_date": "2026-07-01",
            "reminder_lead_minutes": 60,
        },
    ).body
    system.settle()
    return coach_token, client, goal, step


def _my_page(smtp, client) -> str:
    [reminder] = [
        m
        for m in smtp.messages
        if m["To"] == client["email"] and m["Subject"] == "Reminder: Morning walk"
    ]
    plain = reminder.get_body(("plain",)).get_content()
    [path] = re.findall(re.escape(BASE_URL) + r"(/me/[A-Za-z0-9_.\-]+)", plain)
    return path


def _todays_status(api, token, step) -> str:
    reply = api.call("plans", "GET", f"/v1/actions/{step['id']}", token)
    return {o["occurrence_key"]: o["status"] for o in reply.body["occurrences"]}[TODAY]


def test_goal_progress_reaches_the_page_and_an_undo_on_the_page_reopens_the_step_in_plans(
    api, tenant, system, clock, smtp, settings
):
    coach_token, client, goal, step = _client_with_a_goal_and_a_daily_step(api, tenant, system)
    for change in ({"status": "active"}, {"progress": 40}):
        patched = api.call("plans", "PATCH", f"/v1/goals/{goal['id']}", coach_token, json=change)
        assert patched.status == 200, patched.body
    system.settle()
    web = system.apps["notifications"].test_client()
    page = _my_page(smtp, client)

    shown = web.get(page).get_data(as_text=True)
    assert f'<span id="goal-1">{goal["title"]}</span>:' in shown
    assert '<progress aria-labelledby="goal-1" max="100" value="40">40%</progress>' in shown

    walk = {"action_id": step["id"], "occurrence_key": TODAY}
    assert web.post(page + "/done", data=walk).status_code == 303
    system.settle()
    assert _todays_status(api, coach_token, step) == "completed"

    clock.advance(minutes=2)
    undone = web.post(page + "/undo", data=walk)
    assert undone.status_code == 303 and undone.headers["Location"].endswith("noted=undone")
    system.settle()
    assert _todays_status(api, coach_token, step) == "scheduled"
    shown = web.get(undone.headers["Location"]).get_data(as_text=True)
    assert "Undone - that step is no longer marked done." in shown
    assert 'aria-label="Mark Morning walk (Wed 01 Jul, 12:30) done"' in shown

    # Marked done again: plans completes it again.
    clock.advance(minutes=1)
    assert web.post(page + "/done", data=walk).status_code == 303
    system.settle()
    assert _todays_status(api, coach_token, step) == "completed"
