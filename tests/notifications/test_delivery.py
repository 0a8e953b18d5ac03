"""Channels and the dispatcher's handling of provider answers: retry, fail, suppress."""

from __future__ import annotations

import base64
import email
import email.policy
import uuid
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from services.notifications import suppressions
from services.notifications.channels import channels_from_settings
from services.notifications.channels.base import OutgoingMessage
from services.notifications.channels.email import email_bytes
from services.notifications.dispatcher import Dispatcher
from services.notifications.dispatcher.lease import LeaseKeeper
from services.notifications.dispatcher.recorder import OutcomeRecorder
from shared.backoff import Backoff
from tests.conftest import BACKEND
from tests.support import builders

SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"


def test_smtp_451_then_success_sends_one_email(notifications, smtp):
    n = notifications
    smtp.handler.scripted_replies.append("451 4.3.0 Try again later")
    client = n.onboard(uuid.uuid4())

    n.dispatcher.run_once()
    welcome = n.nudge(client, "welcome")
    assert welcome.state == "scheduled" and welcome.reason.startswith("retrying: SMTP 451")
    assert smtp.messages == []

    n.dispatch()
    welcome = n.nudge(client, "welcome")
    assert (welcome.state, welcome.attempts, welcome.reason) == ("sent", 2, None)
    assert len(smtp.messages) == 1
    assert [e["data"]["kind"] for e in n.outbox_events("notification.sent")] == ["welcome"]


def test_transient_errors_give_up_after_the_limit_with_backoff(notifications, smtp):
    n = notifications
    n.dispatcher.max_attempts = 3
    n.dispatcher.retry_backoff = Backoff(10, 1800, random=lambda: 0.0)  # no jitter drawn
    smtp.handler.scripted_replies.extend(["451 4.3.0 busy"] * 3)
    client = n.onboard(uuid.uuid4())
    delays = []
    for _ in range(3):
        n.dispatcher.run_once()
        nudge = n.nudge(client, "welcome")
        delays.append((nudge.due_at - n.clock()).total_seconds())
        n.clock.set(nudge.due_at)
    nudge = n.nudge(client, "welcome")
    assert (nudge.state, nudge.attempts) == ("failed", 3)
    assert nudge.reason.startswith("gave up: SMTP 451")
    assert delays[:2] == [10, 20]
    assert len(n.outbox_events("notification.failed")) == 1


def test_smtp_550_fails_suppresses_the_address_and_is_not_retried(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    smtp.handler.scripted_replies.append("550 5.1.1 No such user")
    client = n.onboard(tenant, email="gone@example.net", consent={"email": True, "sms": False})

    n.dispatch()
    welcome = n.nudge(client, "welcome")
    assert (welcome.state, welcome.attempts) == ("failed", 1)
    assert welcome.reason.startswith("SMTP 550")
    assert smtp.messages == []
    failed = n.outbox_events("notification.failed")
    assert [e["data"]["reason"][:8] for e in failed] == ["SMTP 550"]
    with n.runtime.session_factory() as session:
        found = suppressions.suppression_of(session, tenant, "email", "gone@example.net")
        assert found.reason == "bounce"

    n.event("plan.activated", tenant, builders.plan_activated(client))
    n.dispatch()
    assert n.nudge(client, "plan_ready").reason == "suppressed:bounce"
    assert smtp.messages == []


def test_email_carries_text_html_and_one_click_unsubscribe_headers(notifications, smtp):
    n = notifications
    n.onboard(uuid.uuid4())
    n.dispatch()
    [email] = smtp.messages
    assert email["List-Unsubscribe"].startswith("<https://notify.harbour.example/unsubscribe/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["Message-ID"].endswith("@coaching.nudges>")
    plain = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Hi Jo" in plain and "<p>Hi Jo,</p>" in html
    url = email["List-Unsubscribe"].strip("<>")
    assert url in plain and url in html


def test_sms_provider_500_then_201_sends_one_sms(notifications_with_sms, httpserver):
    n = notifications_with_sms
    httpserver.expect_ordered_request(SMS_PATH, method="POST").respond_with_json(
        {"code": 20500, "message": "Internal error"}, status=500
    )
    httpserver.expect_ordered_request(SMS_PATH, method="POST").respond_with_json(
        {"sid": "SM0001", "status": "queued"}, status=201
    )
    client = n.onboard(uuid.uuid4(), consent={"email": False, "sms": True})

    n.dispatch()

    welcome = n.nudge(client, "welcome")
    assert (welcome.state, welcome.channel, welcome.attempts) == ("sent", "sms", 2)
    assert welcome.provider_message_id == "SM0001"
    assert len(httpserver.log) == 2
    request = httpserver.log[-1][0]
    form = parse_qs(request.get_data(as_text=True))
    assert form["To"] == ["+61412345678"] and form["From"] == ["+61400000000"]
    assert "welcome" in form["Body"][0]
    assert form["StatusCallback"] == ["https://notify.harbour.example/v1/webhooks/sms/status"]
    expected = "Basic " + base64.b64encode(b"AC0123456789:sms-auth-token-for-tests").decode()
    assert request.headers["Authorization"] == expected
    httpserver.check_assertions()


def test_an_invalid_number_fails_without_calling_the_provider(notifications_with_sms, httpserver):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    client = n.onboard(tenant, phone="+6100", consent={"email": False, "sms": True})
    n.dispatch()
    welcome = n.nudge(client, "welcome")
    assert (welcome.state, welcome.reason) == ("failed", "invalid number")
    assert httpserver.log == []
    with n.runtime.session_factory() as session:
        assert suppressions.suppression_of(session, tenant, "sms", "+6100").reason == "bounce"


def test_provider_4xx_is_permanent(notifications_with_sms, httpserver):
    n = notifications_with_sms
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_json(
        {"code": 21211, "message": "The 'To' number is not a valid phone number."}, status=400
    )
    client = n.onboard(uuid.uuid4(), consent={"email": False, "sms": True})
    n.dispatch()
    welcome = n.nudge(client, "welcome")
    assert welcome.state == "failed" and "21211" in welcome.reason
    assert len(httpserver.log) == 1


def test_retries_after_a_transient_error_are_jittered_within_the_backoff(notifications, smtp):
    """Every nudge on the wire fails at once in a provider outage: their retries spread
    over the second half of the backoff instead of all coming back at one instant."""
    n = notifications
    draws = iter([0.0, 0.5, 0.9])
    n.dispatcher.retry_backoff = Backoff(60, 1800, random=lambda: next(draws))
    smtp.handler.scripted_replies.extend(["451 4.3.0 busy"] * 3)
    clients = [n.onboard(uuid.uuid4(), consent={"email": True, "sms": False}) for _ in range(3)]
    n.dispatcher.run_once()
    delays = sorted((n.nudge(c, "welcome").due_at - n.clock()).total_seconds() for c in clients)
    assert delays == pytest.approx([33, 45, 60])


def _with_leases_on_the_test_clock(n) -> None:
    """A dispatcher whose leases run by the test's clock, so stepping it lets them run
    out. (In production they run by the database's: see the next test but one.)"""
    n.dispatcher.close()
    n.dispatcher = Dispatcher(
        n.runtime, channels_from_settings(n.settings), lease_clock=lambda _session: n.clock()
    )


def test_a_nudge_claimed_by_a_dispatcher_that_died_is_taken_again_after_its_lease(
    notifications, smtp
):
    n = notifications
    _with_leases_on_the_test_clock(n)
    client = n.onboard(uuid.uuid4())
    assert len(n.dispatcher.claim()) == 1  # ... and the process dies before sending
    assert n.dispatch() == 0  # leased: nobody else takes it
    n.clock.advance(seconds=31)  # a dead dispatcher strands its batch for half a minute
    n.dispatch()
    assert n.nudge(client, "welcome").state == "sent"
    assert len(smtp.messages) == 1


def test_a_live_dispatcher_renews_the_lease_of_what_it_has_not_yet_recorded(notifications, smtp):
    n = notifications
    _with_leases_on_the_test_clock(n)
    client = n.onboard(uuid.uuid4())
    claimed = n.dispatcher.claim()  # a slow dispatcher, still at work on its batch
    n.clock.advance(seconds=25)
    keeper = LeaseKeeper(n.runtime.session_factory, claimed, n.dispatcher.lease_clock)
    assert keeper.renew() == 1
    n.clock.advance(seconds=25)  # past the first lease, within the renewed one
    assert n.dispatch() == 0
    assert n.nudge(client, "welcome").state == "sending"
    n.clock.advance(seconds=10)  # the renewals stopped (it died): the batch is free again
    n.dispatch()
    assert n.nudge(client, "welcome").state == "sent"
    assert keeper.renew() == 0  # nothing of it is left to hold


@pytest.mark.skipif(not BACKEND.startswith("rabbitmq"), reason="leases on PostgreSQL's clock")
def test_a_dispatcher_whose_host_clock_runs_ahead_leaves_live_leases_alone(notifications, smtp):
    n = notifications
    client = n.onboard(uuid.uuid4())
    assert len(n.dispatcher.claim()) == 1  # a dispatcher at work on it, its lease live
    ahead = Dispatcher(
        n.runtime,
        channels_from_settings(n.settings),
        clock=lambda: n.clock() + timedelta(minutes=5),  # its host's clock is 5 min fast
    )
    try:
        assert ahead.run_once() == 0
        assert n.nudge(client, "welcome").state == "sending"
        assert smtp.messages == []
        with n.runtime.engine.begin() as connection:  # 31 s pass on the database's clock
            connection.execute(
                text("UPDATE nudges SET claimed_until = claimed_until - interval '31 seconds'")
            )
        assert ahead.run_once() == 1  # the lease ran out: taken over, once
    finally:
        ahead.close()
    assert n.nudge(client, "welcome").state == "sent"
    assert len(smtp.messages) == 1


def test_outcomes_the_database_refuses_at_first_are_recorded_once_it_answers(notifications, smtp):
    n = notifications
    record, refusals = n.dispatcher.record, []

    def refusing_twice(outcomes):
        if len(refusals) < 2:
            refusals.append(len(outcomes))
            raise OperationalError("UPDATE nudges", {}, Exception("server closed the connection"))
        record(outcomes)

    n.dispatcher.recorder = OutcomeRecorder(refusing_twice, retry_delays=(0.01, 0.01, 0.01))
    client = n.onboard(uuid.uuid4())
    n.dispatch()

    assert refusals == [1, 1]
    welcome = n.nudge(client, "welcome")
    assert (welcome.state, welcome.attempts) == ("sent", 1)
    assert len(smtp.messages) == 1
    assert len(n.outbox_events("notification.sent")) == 1


def test_email_with_non_ascii_names_and_long_headers_round_trips():
    message = OutgoingMessage(
        "<n1@coaching.nudges>",
        "aroha@example.net",
        "Kia ora Ārohā — welcome to Whānau Recovery, a long subject that needs folding",
        "Kia ora Ārohā,\n\n.A line that starts with a dot\n",
        "<p>Kia ora Ārohā</p>",
        {"List-Unsubscribe": "<https://notify.example/unsubscribe/" + "x" * 300 + ">"},
    )
    wire = email_bytes(message, "Whānau Recovery <coach@whanau.example>")

    assert all(len(line) <= 998 for line in wire.split(b"\r\n"))
    assert b"\n" not in wire.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(wire.replace(b"\r\n", b"\n"), policy=email.policy.default)
    assert parsed["Subject"] == message.subject
    assert parsed["From"].addresses[0].display_name == "Whānau Recovery"
    assert parsed["List-Unsubscribe"] == message.headers["List-Unsubscribe"]
    assert parsed.get_body(("plain",)).get_content() == message.text
    assert parsed.get_body(("html",)).get_content().strip() == message.html


def test_a_dispatcher_with_two_smtp_sessions_sends_each_nudge_once_over_both(notifications, smtp):
    n = notifications
    n.dispatcher.close()
    n.dispatcher = Dispatcher(
        n.runtime,
        channels_from_settings(n.settings),
        more_channels=[channels_from_settings(n.settings)],
    )
    clients = [n.onboard(uuid.uuid4()) for _ in range(6)]
    n.dispatch()

    assert [n.nudge(c, "welcome").state for c in clients] == ["sent"] * 6
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == 6
    assert len(set(smtp.handler.peers)) == 2  # both sessions carried mail
    assert len(n.outbox_events("notification.sent")) == 6


def test_a_fault_inside_a_channel_reschedules_the_nudge_and_the_batch_goes_on(notifications, smtp):
    n = notifications
    email_channel = n.dispatcher.channels["email"]
    first, second = n.onboard(uuid.uuid4()), n.onboard(uuid.uuid4())
    faulty = {"left": 1}

    class Faulty:
        name = "email"

        def send(self, message):
            if faulty["left"]:
                faulty["left"] -= 1
                raise RuntimeError("a bug, not a delivery problem")
            return email_channel.send(message)

    n.dispatcher.lanes[0]["email"] = Faulty()
    try:
        n.dispatcher.run_once()
    finally:
        n.dispatcher.lanes[0]["email"] = email_channel

    states = sorted(n.nudge(c, "welcome").state for c in (first, second))
    assert states == ["scheduled", "sent"]
    retried = next(
        n.nudge(c, "welcome") for c in (first, second) if n.nudge(c, "welcome").state == "scheduled"
    )
    assert retried.reason == "retrying: unexpected RuntimeError"
    assert len(smtp.messages) == 1
