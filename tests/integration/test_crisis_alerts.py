"""A crisis alert someone owns, through the whole system: a crisis text at 03:00 opens an
alert, nobody acknowledges it, the on-call list is told; the caseload shows it first until
a coach acknowledges and resolves it (``crisis_alert.*`` through the broker to plans)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug import Response

from coaching.registry import load_settings
from shared.clock import FrozenClock
from tests.integration.test_client_replies import (
    AUTH_TOKEN,
    BASE_URL,
    NOON,
    SMS_PATH,
    THREE_AM,
    _client_with_coach,
    text_in,
)

ON_CALL = "oncall@harbour.example"


@pytest.fixture
def settings(env, monkeypatch, httpserver):
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    monkeypatch.setenv("SMS_API_URL", httpserver.url_for(SMS_PATH))
    monkeypatch.setenv("SMS_ACCOUNT_SID", "AC0123456789")
    monkeypatch.setenv("SMS_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("SMS_FROM", "+61400000000")
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE_URL)
    return load_settings()


@pytest.fixture
def clock(system):
    frozen = FrozenClock(NOON)
    system.runtimes["notifications"].clock = frozen
    system.runtimes["plans"].clock = frozen
    return frozen


def _row(api, token, client_id) -> dict:
    rows = api.call("plans", "GET", "/v1/caseload", token).body["items"]
    [row] = [row for row in rows if row["client_id"] == client_id]
    return row


def test_an_unacknowledged_crisis_alert_reaches_on_call_and_the_caseload_until_resolved(
    api, tenant, system, clock, smtp, httpserver
):
    clock.set(THREE_AM - timedelta(hours=1))
    _coach, coach_token, client, _plan = _client_with_coach(api, tenant, system)
    settings = api.call(
        "notifications",
        "PUT",
        "/v1/organisation/crisis-settings",
        tenant["token"],
        json={"acknowledge_within_minutes": 10, "on_call": [ON_CALL]},
    )
    assert settings.status == 200, settings.body
    system.settle()
    clock.set(THREE_AM)
    text_in(system, "I want to end my life")
    system.settle()

    [alert] = api.call("notifications", "GET", "/v1/alerts?state=open", coach_token).body["items"]
    assert _row(api, coach_token, client["id"])["crisis_alert"] == "open"
    assert [m for m in smtp.messages if m["To"] == ON_CALL] == []

    clock.set(THREE_AM + timedelta(minutes=10))
    system.settle()
    [escalation] = [m for m in smtp.messages if m["To"] == ON_CALL]
    assert escalation["Subject"] == "Urgent, not yet acknowledged: Jo Rivers may be in crisis"

    path = f"/v1/alerts/{alert['id']}"
    assert api.call("notifications", "POST", f"{path}/acknowledge", coach_token).status == 200
    system.settle()
    assert _row(api, coach_token, client["id"])["crisis_alert"] == "acknowledged"
    clock.set(THREE_AM + timedelta(minutes=20))
    system.settle()
    assert len([m for m in smtp.messages if m["To"] == ON_CALL]) == 1

    resolved = api.call(
        "notifications", "POST", f"{path}/resolve", coach_token, json={"note": "Safe now."}
    )
    assert resolved.status == 200, resolved.body
    system.settle()
    assert _row(api, coach_token, client["id"])["crisis_alert"] is None
