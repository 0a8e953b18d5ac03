"""Inbound SMS keywords are acted on once each, in the order the client sent them.

Requests are signed exactly as the provider signs them, so a repeat is indistinguishable
from the original by its signature: a provider retry, or a captured request replayed.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import werkzeug

from services.notifications import suppressions
from services.notifications.replies.inbound_sms import sent_at_of

INBOUND = "/v1/webhooks/sms/inbound"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
NUMBER = "+61412345678"


@pytest.fixture
def n(notifications_with_sms, httpserver):
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: werkzeug.Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return notifications_with_sms


def _form(body: str, sid: str, **extra) -> dict:
    return {
        "MessageSid": sid,
        "AccountSid": "AC0123456789",
        "From": NUMBER,
        "To": "+61400000000",
        "Body": body,
    } | extra


def _text(n, body: str, sid: str, **extra):
    """The client texts ``body``; a minute passes between texts."""
    n.clock.advance(minutes=1)
    reply = n.provider_post(INBOUND, _form(body, sid, **extra))
    assert reply.status_code == 200 and reply.content_type.startswith("text/xml")
    n.dispatch()
    return reply


def _texts_sent(httpserver) -> list[str]:
    return [parse_qs(req.get_data(as_text=True))["Body"][0] for req, _ in httpserver.log]


def _suppressed(n, tenant) -> bool:
    with n.runtime.session_factory() as session:
        return suppressions.suppression_of(session, tenant, "sms", NUMBER) is not None


def _client(n) -> uuid.UUID:
    tenant = uuid.uuid4()
    n.refer(tenant, phone=NUMBER, consent={"email": False, "sms": True})
    return tenant


def test_a_replayed_start_after_a_later_stop_leaves_the_number_suppressed(n, httpserver):
    tenant = _client(n)
    _text(n, "STOP", "SM-stop-1")
    _text(n, "START", "SM-start-captured")
    _text(n, "STOP", "SM-stop-2")
    assert _suppressed(n, tenant) and len(_texts_sent(httpserver)) == 3

    replay = n.provider_post(INBOUND, _form("START", "SM-start-captured"))
    n.dispatch()

    assert replay.status_code == 200  # the provider (or whoever replays) learns nothing
    assert _suppressed(n, tenant)
    assert len(_texts_sent(httpserver)) == 3  # no second "welcome back"
    assert len(n.outbox_events("contact.opted_in")) == 1
    assert len(n.outbox_events("contact.opted_out")) == 2


def test_a_stop_delivered_twice_is_confirmed_once_and_cannot_undo_a_later_start(n, httpserver):
    tenant = _client(n)
    _text(n, "STOP", "SM-stop")
    _text(n, "STOP", "SM-stop")  # the provider retried
    assert len(_texts_sent(httpserver)) == 1 and "START" in _texts_sent(httpserver)[0]
    assert len(n.outbox_events("contact.opted_out")) == 1

    _text(n, "START", "SM-start")
    _text(n, "STOP", "SM-stop")  # a late retry of the first STOP

    assert not _suppressed(n, tenant)
    assert len(n.outbox_events("contact.opted_out")) == 1
    assert len(_texts_sent(httpserver)) == 2


def test_a_keyword_sent_before_the_latest_one_is_ignored(n, httpserver):
    tenant = _client(n)
    sent = n.clock() + timedelta(minutes=10)
    stamp = {"DateSent": (sent).strftime("%a, %d %b %Y %H:%M:%S +0000")}
    earlier = {"DateSent": (sent - timedelta(minutes=5)).isoformat()}
    n.clock.advance(minutes=20)
    _text(n, "STOP", "SM-stop", **stamp)
    _text(n, "START", "SM-start-sent-earlier", **earlier)  # arrives late, sent before STOP

    assert _suppressed(n, tenant)
    assert n.outbox_events("contact.opted_in") == []
    assert len(_texts_sent(httpserver)) == 1

    _text(n, "START", "SM-start-now")  # no timestamp: ordered by receipt, after the STOP
    assert not _suppressed(n, tenant)
    assert len(_texts_sent(httpserver)) == 2


def test_the_same_stop_arriving_twice_at_once_is_acted_on_once(n, httpserver):
    tenant = _client(n)
    form = _form("STOP", "SM-concurrent")
    from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature

    signature = compute_signature(
        n.settings.sms_auth_token, n.settings.public_base_url + INBOUND, list(form.items())
    )
    start = threading.Barrier(2)
    statuses: list[int] = []

    def post():
        client = n.app.test_client()
        start.wait()
        statuses.append(
            client.post(INBOUND, data=form, headers={SIGNATURE_HEADER: signature}).status_code
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    n.dispatch()

    assert statuses == [200, 200]
    assert _suppressed(n, tenant)
    assert len(n.outbox_events("contact.opted_out")) == 1
    assert len(_texts_sent(httpserver)) == 1


@pytest.mark.parametrize(
    ("form", "expected_minutes_ago"),
    [
        ({}, 0),
        ({"DateSent": "Wed, 01 Jul 2026 01:55:00 +0000"}, 5),
        ({"Timestamp": "2026-07-01T01:50:00Z"}, 10),
        ({"message-timestamp": "2026-07-01 01:58:00"}, 2),  # no zone: UTC
        ({"DateSent": "Wed, 01 Jul 2026 09:00:00 +0000"}, 0),  # in the future: the receipt
        ({"DateSent": "not a date"}, 0),
        ({"DateSent": "9" * 500}, 0),
    ],
)
def test_when_a_text_was_sent(form, expected_minutes_ago):
    from datetime import UTC, datetime

    received = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    assert sent_at_of(form, received) == received - timedelta(minutes=expected_minutes_ago)
