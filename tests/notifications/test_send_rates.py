"""Providers' send rates: every dispatcher shares them, a 429 backs off and loses nothing,
and the daily cap holds when two dispatchers send one client's nudges at once.

No timing here: the slots reserved are counted and their spacing read, with the waits
handed to a recording ``sleep`` instead of slept."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from coaching.registry import load_settings
from services.notifications.bootstrap import build_runtime
from services.notifications.channels import channels_from_settings
from services.notifications.dispatcher import Dispatcher
from services.notifications.dispatcher.rate_limits import LocalSlots, SendRates, SharedSlots

SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
SMS_KEY = "sms:+61400000000"


class Waits:
    """Stands in for ``time.sleep``: notes each wait and returns at once."""

    def __init__(self):
        self.seconds: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self.lock:
            self.seconds.append(seconds)


class SlotLog(SendRates):
    """Send rates that note every slot reserved (on the slots' clock)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots: list[float] = []
        self._lock = threading.Lock()

    def wait_for_slot(self, channel):
        slot = super().wait_for_slot(channel)
        if slot is not None:
            with self._lock:
                self.slots.append(slot)
        return slot


def _slots(runtime):
    return SharedSlots(runtime.engine) if runtime.engine.dialect.name == "postgresql" else None


def _assert_spread(slots: list[float], rate: float) -> None:
    ordered = sorted(slots)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    assert min(gaps) >= 1 / rate - 1e-6, gaps
    assert ordered[-1] - ordered[0] >= (len(ordered) - 1) / rate - 1e-6


def test_two_limiters_on_one_database_spread_their_sends_at_the_rate(notifications):
    shared = _slots(notifications.runtime) or LocalSlots()
    rate, n = 50.0, 40
    limiters = [SlotLog({"email": rate}, shared, sleep=Waits()) for _ in range(2)]
    if isinstance(shared, SharedSlots):  # a second dispatcher: its own connections
        limiters[1] = SlotLog(
            {"email": rate}, SharedSlots(notifications.runtime.engine), sleep=Waits()
        )

    def send_half(limiter):
        for _ in range(n // 2):
            limiter.wait_for_slot("email")

    threads = [threading.Thread(target=send_half, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    slots = limiters[0].slots + limiters[1].slots
    assert len(slots) == len(set(slots)) == n
    _assert_spread(slots, rate)  # n sends span at least (n - 1) / rate seconds
    assert limiters[0].wait_for_slot("sms") is None  # SMS has no limit: not reserved


def test_the_local_limiter_waits_on_an_injected_clock():
    now = [1000.0]
    waits = Waits()
    limiter = SendRates({"email": 4.0}, LocalSlots(lambda: now[0]), sleep=waits)
    for _ in range(5):
        limiter.wait_for_slot("email")
    assert waits.seconds == [0.25, 0.5, 0.75, 1.0]  # the first goes at once
    now[0] += 10  # idle a while: no burst saved up beyond the next slot
    limiter.wait_for_slot("email")
    limiter.wait_for_slot("email")
    assert waits.seconds[4:] == [0.25]


def test_two_dispatchers_share_one_limit_and_send_each_nudge_once(notifications, smtp):
    n = notifications
    rate = 20.0
    clients = [n.onboard(uuid.uuid4()) for _ in range(8)]
    dispatchers = []
    for _ in range(2):
        rates = SlotLog(
            {"email": rate}, _slots(n.runtime) or LocalSlots(), sleep=Waits(), sms_sender=""
        )
        dispatcher = Dispatcher(
            n.runtime, channels_from_settings(n.settings), batch_size=4, send_rates=rates
        )
        dispatchers.append(dispatcher)
    threads = [threading.Thread(target=d.run_once) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for dispatcher in dispatchers:
        dispatcher.run_once()  # whatever the other's batch left
        dispatcher.close()

    assert [n.nudge(c, "welcome").state for c in clients] == ["sent"] * 8
    assert len({m["Message-ID"] for m in smtp.messages}) == len(smtp.messages) == 8
    slots = dispatchers[0].send_rates.slots + dispatchers[1].send_rates.slots
    assert len(slots) == 8
    _assert_spread(slots, rate)


def test_rates_come_from_the_environment_and_bound_the_batch(notifications, monkeypatch):
    monkeypatch.setenv("EMAIL_RATE_PER_SECOND", "0.5")
    monkeypatch.setenv("SMS_RATE_PER_SECOND", "10")
    settings = load_settings()
    runtime = build_runtime(settings)  # the dispatcher process's, on the same database
    dispatcher = Dispatcher(runtime, channels_from_settings(settings))
    try:
        assert dispatcher.send_rates.rates == {"email": 0.5, SMS_KEY: 10.0}
        # A batch is what the slowest rate sends in a minute: well within its lease.
        assert dispatcher.batch_size == 30
    finally:
        dispatcher.close()
        runtime.engine.dispose()


def test_a_429_with_retry_after_backs_off_then_sends_exactly_one_sms(
    notifications_with_sms, httpserver
):
    n = notifications_with_sms
    n.dispatcher.max_attempts = 1  # being throttled is never a reason to give up
    waits = Waits()
    n.dispatcher.send_rates = SendRates(
        {SMS_KEY: 5.0},
        _slots(n.runtime) or LocalSlots(),
        sms_sender="+61400000000",
        sleep=waits,
    )
    httpserver.expect_ordered_request(SMS_PATH, method="POST").respond_with_json(
        {"code": 20429, "message": "Too Many Requests"}, status=429, headers={"Retry-After": "30"}
    )
    httpserver.expect_ordered_request(SMS_PATH, method="POST").respond_with_json(
        {"sid": "SM0429", "status": "queued"}, status=201
    )
    client = n.onboard(uuid.uuid4(), consent={"email": False, "sms": True})
    started = n.clock()

    n.dispatcher.run_once()
    welcome = n.nudge(client, "welcome")
    assert welcome.state == "scheduled" and welcome.reason.startswith("retrying: SMS API 429")
    assert welcome.due_at >= started + timedelta(seconds=30)  # Retry-After honoured

    n.clock.set(welcome.due_at)
    n.dispatch()
    welcome = n.nudge(client, "welcome")
    assert (welcome.state, welcome.provider_message_id) == ("sent", "SM0429")
    assert len(httpserver.log) == 2  # the refused one and the one sent: one SMS
    assert n.dispatch() == 0
    assert len(httpserver.log) == 2
    assert len(n.outbox_events("notification.sent")) == 1
    # Every dispatcher's next SMS waited out the provider's 30 seconds.
    assert waits.seconds and waits.seconds[-1] > 25
    httpserver.check_assertions()


def test_smtp_421_is_retried_however_often_it_comes(notifications, smtp):
    n = notifications
    n.dispatcher.max_attempts = 1
    smtp.handler.scripted_replies.append("421 4.7.0 Too many messages, slow down")
    client = n.onboard(uuid.uuid4())

    n.dispatcher.run_once()
    assert n.nudge(client, "welcome").state == "scheduled"
    n.dispatch()
    assert n.nudge(client, "welcome").state == "sent"
    assert len(smtp.messages) == 1


def test_the_daily_cap_holds_when_another_dispatcher_is_sending_that_clients_nudge(
    notifications, smtp
):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant)
    with n.runtime.session_factory() as session:
        from services.notifications.models import Contact

        contact = session.get(Contact, (tenant, client))
        contact.daily_cap = 1
        session.commit()
    n.dispatch()  # the welcome: setting up, never counted by the cap
    for title in ("Walk daily", "Call the housing service"):
        n.event(
            "goal.achieved",
            tenant,
            {
                "goal_id": uuid.uuid4(),
                "plan_id": uuid.uuid4(),
                "client_id": client,
                "title": title,
                "domain": "physical_health",
            },
        )
        n.clock.advance(seconds=1)
    email = channels_from_settings(n.settings)["email"]
    on_the_wire, let_go = threading.Event(), threading.Event()

    class Slow:
        name = "email"

        def send(self, message):
            on_the_wire.set()
            let_go.wait(10)
            return email.send(message)

    first = Dispatcher(n.runtime, {"email": Slow(), "sms": email}, batch_size=1)
    second = Dispatcher(n.runtime, channels_from_settings(n.settings), batch_size=1)
    sending = threading.Thread(target=first.run_once)
    sending.start()
    try:
        assert on_the_wire.wait(10)  # the first nudge is out, its outcome not yet known
        second.run_once()
    finally:
        let_go.set()
        sending.join()
        first.close()
        second.close()

    first_goal, second_goal = n.nudges(client, "goal_celebration")
    assert (first_goal.state, second_goal.state, second_goal.reason) == (
        "sent",
        "deferred",
        "daily_cap",
    )
    assert len(smtp.messages) == 2  # the welcome and one celebration
