"""A second SMTP relay and a second SMS provider: when the first fails, nudges go through
the second at once, none lost and none sent twice."""

from __future__ import annotations

import uuid

from werkzeug import Response

from coaching.registry import load_settings
from services.notifications.channels import channels_from_settings
from services.notifications.channels.base import OutgoingMessage, TransientDeliveryError
from services.notifications.channels.failover import FailoverChannel
from tests.support.notifications import NotificationsHarness
from tests.support.smtp import SmtpSink

PRIMARY_SMS = "/primary/Messages.json"
SECOND_SMS = "/second/Messages.json"


def test_the_first_smtp_relay_going_down_mid_run_sends_the_rest_through_the_second(
    notifications_env, monkeypatch
):
    smtp, second = SmtpSink().start(), SmtpSink().start()
    monkeypatch.setenv("SMTP_URL", smtp.url)
    monkeypatch.setenv("SMTP_FALLBACK_URL", second.url)
    n = NotificationsHarness(load_settings())
    try:
        tenant = uuid.uuid4()
        email_only = {"consent": {"email": True, "sms": False}}
        first = [n.onboard(tenant, email=f"a{i}@example.net", **email_only) for i in range(3)]
        n.dispatch()
        assert smtp.count() == 3 and second.count() == 0

        smtp.stop()  # the first relay is gone, mid-run (connections refused)
        later = [n.onboard(tenant, email=f"b{i}@example.net", **email_only) for i in range(4)]
        n.dispatch()

        assert second.count() == 4
        ids = [m["Message-ID"] for m in smtp.messages + second.messages]
        assert len(ids) == len(set(ids)) == 7  # none twice
        for client in first + later:
            assert n.nudge(client, "welcome").state == "sent"
    finally:
        n.close()
        second.stop()


def test_an_sms_provider_answering_5xx_fails_over_to_the_second(
    notifications_env, httpserver, monkeypatch
):
    monkeypatch.setenv("SMS_API_URL", httpserver.url_for(PRIMARY_SMS))
    monkeypatch.setenv("SMS_FALLBACK_API_URL", httpserver.url_for(SECOND_SMS))
    monkeypatch.setenv("SMS_FALLBACK_ACCOUNT_SID", "AC-second")
    monkeypatch.setenv("SMS_FALLBACK_AUTH_TOKEN", "second-token")
    httpserver.expect_request(PRIMARY_SMS, method="POST").respond_with_json(
        {"message": "Service unavailable"}, status=503
    )
    sids = iter(range(100))
    httpserver.expect_request(SECOND_SMS, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "SM2-{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    n = NotificationsHarness(load_settings())
    try:
        tenant = uuid.uuid4()
        clients = [
            n.onboard(tenant, phone=f"+6141234567{i}", consent={"email": False, "sms": True})
            for i in range(3)
        ]
        n.dispatch()
        paths = [request.path for request, _ in httpserver.log]
        # The first provider failed once, then rested; every text went by the second.
        assert paths.count(PRIMARY_SMS) == 1 and paths.count(SECOND_SMS) == 3
        for client in clients:
            welcome = n.nudge(client, "welcome")
            assert welcome.state == "sent" and welcome.provider_message_id.startswith("SM2-")
    finally:
        n.close()


class _Provider:
    def __init__(self, name, fails_with=None):
        self.name, self.fails_with, self.sent = name, fails_with, []

    def send(self, message):
        if self.fails_with:
            raise self.fails_with
        self.sent.append(message.message_id)
        return f"{self.name}-{len(self.sent)}"


def _message(i: int) -> OutgoingMessage:
    return OutgoingMessage(f"<{i}@coaching.nudges>", "to@example.net", "Hi", "Hello")


def test_a_failed_provider_rests_then_is_tried_first_again():
    now = [0.0]
    first = _Provider("first", TransientDeliveryError("503"))
    second = _Provider("second")
    channel = FailoverChannel("sms", [first, second], rest_seconds=30, clock=lambda: now[0])
    assert channel.send(_message(1)) == "second-1"
    first.fails_with = None  # it is back, but resting
    assert channel.send(_message(2)) == "second-2"
    now[0] = 31
    assert channel.send(_message(3)) == "first-1"


def test_when_every_provider_fails_the_dispatcher_retries_later():
    failing = [_Provider(n, TransientDeliveryError(f"{n} down")) for n in ("first", "second")]
    channel = FailoverChannel("email", failing)
    try:
        channel.send(_message(1))
    except TransientDeliveryError as exc:
        assert "first down" in str(exc) and "second down" in str(exc)
    else:
        raise AssertionError("expected a transient failure")


def test_one_provider_configured_is_used_as_it_is(notifications_env):
    channels = channels_from_settings(load_settings())
    assert not isinstance(channels["email"], FailoverChannel)


def test_the_second_providers_webhooks_are_accepted_with_its_own_signature(
    notifications_env, monkeypatch
):
    monkeypatch.setenv("SMS_FALLBACK_AUTH_TOKEN", "second-token")
    n = NotificationsHarness(load_settings())
    try:
        form = {"MessageSid": "SM-second-1", "From": "+61412345678", "Body": "HELP"}
        inbound = "/v1/webhooks/sms/inbound"
        assert n.provider_post(inbound, form, auth_token="second-token").status_code == 200
        forged = n.provider_post(inbound, form | {"MessageSid": "x"}, auth_token="guess")
        assert forged.status_code == 403
    finally:
        n.close()
