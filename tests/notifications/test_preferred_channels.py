"""The client's preferred channels as intake records them, and the preferences API on top.

The rule: the first channel of intake's ``preferred_channels`` becomes the preferred
channel when the client is referred or onboarded, and again whenever intake's list
changes; a PUT of preferences wins in between (an event repeating the same list changes
nothing).
"""

from __future__ import annotations

import uuid

from services.notifications.models import Nudge


def _preferred(n, tenant, client) -> str:
    reply = n.call("GET", f"/v1/clients/{client}/preferences", n.token(tenant))
    assert reply.status_code == 200, reply.json
    return reply.json["preferred_channel"]


def test_a_client_who_prefers_sms_gets_the_welcome_by_sms(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant, preferred_channels=["sms", "email"])
    n.dispatch()
    welcome: Nudge = n.nudge(client, "welcome")
    assert (welcome.channel, welcome.state) == ("sms", "sent")
    assert _preferred(n, tenant, client) == "sms"


def test_a_preference_put_wins_until_intakes_preference_changes_again(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.refer(tenant, preferred_channels=["sms", "email"])
    assert _preferred(n, tenant, client) == "sms"

    put = n.call(
        "PUT",
        f"/v1/clients/{client}/preferences",
        n.token(tenant),
        json={"preferred_channel": "email"},
    )
    assert put.status_code == 200 and put.json["preferred_channel"] == "email"
    # Intake says something else about the client; its channel list is unchanged.
    n.update(tenant, client, ["phone"], preferred_channels=["sms", "email"])
    n.onboard(tenant, client_id=client, preferred_channels=["sms", "email"])
    assert _preferred(n, tenant, client) == "email"

    n.update(tenant, client, ["preferred_channels"], preferred_channels=["sms"])
    assert _preferred(n, tenant, client) == "sms"

    n.update(tenant, client, ["preferred_channels"], preferred_channels=[])
    assert _preferred(n, tenant, client) == "email"  # no preference any more: the default


def test_an_event_from_before_intake_sent_its_preference_changes_nothing(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.refer(tenant)  # no preferred_channels in the payload at all
    n.call(
        "PUT",
        f"/v1/clients/{client}/preferences",
        n.token(tenant),
        json={"preferred_channel": "sms"},
    )
    n.update(tenant, client, ["email"])
    assert _preferred(n, tenant, client) == "sms"
    n.update(tenant, client, ["preferred_channels"], preferred_channels=[])
    assert _preferred(n, tenant, client) == "sms"  # intake never preferred anything


def _will_use(n, tenant, client, kind="welcome") -> list[tuple[str, str | None]]:
    reply = n.call("GET", f"/v1/clients/{client}/notifications", n.token(tenant))
    assert reply.status_code == 200, reply.json
    return [(x["state"], x["will_use_channel"]) for x in reply.json["items"] if x["kind"] == kind]


def test_a_pending_nudge_shows_the_channel_it_would_use_as_consent_now_stands(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant, preferred_channels=["sms", "email"])
    assert _will_use(n, tenant, client) == [("scheduled", "sms")]

    n.update(tenant, client, ["consent"], consent={"email": True, "sms": False})
    assert _will_use(n, tenant, client) == [("scheduled", "email")]

    n.update(tenant, client, ["consent"], consent={"email": False, "sms": False})
    assert _will_use(n, tenant, client) == [("scheduled", None)]

    n.update(tenant, client, ["consent"], consent={"email": True, "sms": True})
    n.dispatch()
    assert _will_use(n, tenant, client) == [("sent", None)]  # gone: nothing more to choose
