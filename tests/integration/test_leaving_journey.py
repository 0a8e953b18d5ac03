"""Leaving, through the whole system: a client onboarded in intake texts STOP and clicks
unsubscribe; suppression, one confirmation, and consent withdrawn in intake; START brings
SMS back."""

from __future__ import annotations

import json

import pytest

from coaching.registry import load_settings
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature
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
    """Take every message waiting in intake's queue."""
    bodies = []
    with broker_connection(settings) as connection:
        queue = Topology(settings).queue("intake")(connection.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def test_stop_unsubscribe_and_start_from_an_onboarded_client_update_consent_in_intake(
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

    # The opt-outs travel to intake, which records them as consent withdrawn.
    system.relay()
    assert system.consume("intake") == 2
    state = api.call("intake", "GET", f"/v1/clients/{client['id']}/consent", tenant["token"])
    assert state.status == 200
    assert state.body["current"] == {"email": False, "sms": False}
    withdrawn = [(r["channel"], r["method"]) for r in state.body["records"] if not r["granted"]]
    assert sorted(withdrawn) == [("email", "email_unsubscribe"), ("sms", "sms_keyword")]

    # Texting START brings SMS back, in intake too.
    form = form | {"MessageSid": "SM-journey-2", "Body": "START"}
    signature = compute_signature(AUTH_TOKEN, BASE_URL + "/v1/webhooks/sms/inbound", form.items())
    reply = notifications.post(
        "/v1/webhooks/sms/inbound", data=form, headers={SIGNATURE_HEADER: signature}
    )
    assert reply.status_code == 200
    system.relay()
    assert system.consume("intake") == 1
    state = api.call("intake", "GET", f"/v1/clients/{client['id']}/consent", tenant["token"])
    assert state.body["current"] == {"email": False, "sms": True}
