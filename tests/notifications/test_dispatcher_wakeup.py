"""An idle dispatcher is woken by the commit of a new nudge (PostgreSQL ``NOTIFY`` from
a trigger on ``nudges``), not by its next poll: ``shared/db/commit_wakeup.py``."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid

import pytest

from shared.db.commit_wakeup import CommitWakeup
from tests.conftest import BACKEND
from tests.support.wakeup import AN_HOUR, Watched

pytestmark = pytest.mark.skipif(
    not BACKEND.startswith("rabbitmq"), reason="LISTEN/NOTIFY is PostgreSQL's"
)


def test_a_committed_welcome_wakes_the_idle_dispatcher_without_waiting_its_poll(
    notifications, smtp
):
    n = notifications
    n.runtime.settings = dataclasses.replace(n.runtime.settings, poll_interval_seconds=AN_HOUR)
    dispatcher = n.dispatcher
    wakeup = dispatcher.idle_wait
    assert isinstance(wakeup, CommitWakeup)
    dispatcher.idle_wait = watched = Watched(wakeup)
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        assert watched.waiting.wait(60), "the dispatcher never went idle"
        client = n.onboard(uuid.uuid4())  # commits the welcome nudge, due now
        deadline = time.monotonic() + 60  # a hang, not a speed check
        while n.nudge(client, "welcome").state != "sent":
            assert time.monotonic() < deadline, "the welcome was never sent"
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(smtp.messages) == 1
    assert wakeup.woken >= 1
    assert wakeup.polls == 0  # the hour's poll never ran out: the commit woke it
