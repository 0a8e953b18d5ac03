"""Leaving and coming back: SMS keywords through the signed webhook, one-click unsubscribe."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from services.notifications import suppressions
from services.notifications.client_web.unsubscribe_tokens import make_token
from tests.support import builders

INBOUND = "/v1/webhooks/sms/inbound"
STATUS = "/v1/webhooks/sms/status"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
NUMBER = "+61412345678"


def _sms_bodies(httpserver) -> list[str]:
    return [parse_qs(req.get_data(as_text=True))["Body"][0] for req, _ in httpserver.log]


def _inbound(n, body: str, sid: str | None = None):
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": NUMBER,
        "To": "+61400000000",
        "Body": body,
    }
    return n.provider_post(INBOUND, form)


def test_stop_start_help_with_signature_verification(notifications_with_sms, httpserver, caplog):
    caplog.set_level(logging.DEBUG)
    n = notifications_with_sms
    sids = iter(f"SMout{i}" for i in range(100))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: __import__("werkzeug").Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    tenant = uuid.uuid4()
    n.staff(tenant, organisation_name="Harbour Recovery Services")
    n.call(
        "PUT",
        "/v1/organisation/notification-settings",
        n.token(tenant),
        json={"help_contact": "02 9999 0000"},
    )
    client = n.refer(tenant, phone=NUMBER, consent={"email": False, "sms": True})

    unsigned = n.http.post(INBOUND, data={"From": NUMBER, "Body": "STOP", "MessageSid": "SMx"})
    forged = n.provider_post(
        INBOUND, {"From": NUMBER, "Body": "STOP", "MessageSid": "SMy"}, auth_token="wrong"
    )
    assert unsigned.status_code == forged.status_code == 403
    assert unsigned.content_type == "application/problem+json"

    reply = _inbound(n, " stop ")
    assert reply.status_code == 200 and reply.content_type.startswith("text/xml")
    _inbound(n, "UNSUBSCRIBE")  # already suppressed: no second confirmation, no event
    n.dispatch()
    with n.runtime.session_factory() as session:
        assert suppressions.suppression_of(session, tenant, "sms", NUMBER).reason == "stop"
    assert [e["data"]["method"] for e in n.outbox_events("contact.opted_out")] == ["sms_keyword"]
    assert len(_sms_bodies(httpserver)) == 1 and "START" in _sms_bodies(httpserver)[0]

    n.event("plan.activated", tenant, builders.plan_activated(client))
    n.dispatch()
    assert n.nudge(client, "plan_ready").reason == "suppressed:stop"

    _inbound(n, "HELP")
    n.dispatch()
    assert "Harbour Recovery Services: reach us at 02 9999 0000" in _sms_bodies(httpserver)[-1]

    _inbound(n, "Start")
    n.dispatch()
    opted_in = n.outbox_events("contact.opted_in")
    assert [(e["data"]["client_id"], e["data"]["channel"]) for e in opted_in] == [
        (str(client), "sms")
    ]
    assert "again" in _sms_bodies(httpserver)[-1]
    with n.runtime.session_factory() as session:
        assert suppressions.suppression_of(session, tenant, "sms", NUMBER) is None
    assert len(_sms_bodies(httpserver)) == 3

    # Delivery reports update the nudge; a failed one fails it.
    n.provider_post(STATUS, {"MessageSid": "SMout0", "MessageStatus": "delivered"})
    n.provider_post(
        STATUS, {"MessageSid": "SMout1", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    by_sid = {r.provider_message_id: r for r in n.nudges(client)}
    assert by_sid["SMout0"].delivery_status == "delivered" and by_sid["SMout0"].state == "sent"
    assert (by_sid["SMout1"].state, by_sid["SMout1"].reason) == (
        "failed",
        "undelivered: provider error 30003",
    )
    assert (
        n.provider_post(STATUS, {"MessageSid": "SMunknown", "MessageStatus": "sent"}).status_code
        == 200
    )

    ours = [r for r in caplog.records if not r.name.startswith("mail.")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "nudge sent" in logged  # captured at all
    for personal in (NUMBER, "61412345678", "Jordan", "reach us at"):
        assert personal not in logged


@pytest.mark.parametrize("word", ["STOPALL", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"])
def test_every_stop_word_is_understood(word):
    from services.notifications.replies.opt_outs import keyword_of

    assert keyword_of(word.lower()) == "stop"
    assert keyword_of("UNSTOP") == keyword_of("yes") == "start"
    assert keyword_of("stop please") is None


def test_one_click_unsubscribe(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    n.staff(tenant, organisation_name="Harbour Recovery")
    client = n.onboard(tenant, email="jo@example.net")
    n.dispatch()
    url = smtp.messages[0]["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("https://notify.harbour.example")

    page = n.http.get(path)
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    assert b'<form method="post"' in page.data and b"Unsubscribe</button>" in page.data
    assert b"no more emails from Harbour Recovery" in page.data  # who, not "your service"
    with n.runtime.session_factory() as session:  # a GET (link scanner) changes nothing
        assert suppressions.suppression_of(session, tenant, "email", "jo@example.net") is None

    for _ in range(2):  # RFC 8058 one-click POST, twice
        done = n.http.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and b"You are unsubscribed" in done.data
    events = n.outbox_events("contact.opted_out")
    assert [(e["data"]["client_id"], e["data"]["method"]) for e in events] == [
        (str(client), "email_unsubscribe")
    ]
    with n.runtime.session_factory() as session:
        assert suppressions.suppression_of(session, tenant, "email", "jo@example.net").reason == (
            "unsubscribe"
        )

    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    for method in ("GET", "POST"):
        refused = n.http.open(tampered, method=method)
        assert refused.status_code == 400
        assert b"This link is not valid" in refused.data and b"Traceback" not in refused.data
    assert n.http.get("/unsubscribe/not-a-token").status_code == 400


def test_an_expired_unsubscribe_link_gets_a_clear_page(notifications, monkeypatch):
    import itsdangerous

    n = notifications
    token = make_token(n.settings.jwt_secret, uuid.uuid4(), uuid.uuid4())
    real_now = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner,
        "get_timestamp",
        lambda self: real_now(self) + int(timedelta(days=61).total_seconds()),
    )
    page = n.http.get(f"/unsubscribe/{token}")
    assert page.status_code == 400 and b"This link has expired" in page.data
