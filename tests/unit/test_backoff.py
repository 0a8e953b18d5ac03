"""Retries back off exponentially with jitter: bounded by the plain wait, never below half
of it, and spread between callers, so a crowd that failed together does not come back
together. Every retry path draws its wait from a :class:`Backoff` it is given."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from coaching.registry import load_settings
from shared.backoff import Backoff
from shared.clock import FrozenClock
from shared.db.outage import LoopBackoff
from shared.messaging.consumer import EventWorker
from shared.messaging.inbox import DatabaseUnavailable, Disposition
from shared.messaging.relay import OutboxRelay


def test_the_plain_wait_doubles_per_attempt_up_to_its_ceiling():
    backoff = Backoff(2, 60)
    assert [backoff.plain(attempt) for attempt in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert backoff.plain(10_000) == 60


def test_the_jittered_wait_lies_between_half_the_plain_wait_and_the_plain_wait():
    assert Backoff(8, 300, random=lambda: 0.0).delay(3) == 32
    assert Backoff(8, 300, random=lambda: 0.5).delay(3) == 24
    assert Backoff(8, 300, random=lambda: 1.0).delay(3) == 16
    assert Backoff(8, 300, spread=0.2, random=lambda: 1.0).delay(3) == pytest.approx(25.6)


def test_a_crowd_failing_together_comes_back_spread_out():
    backoff = Backoff(60, 1800, random=random.Random(20261207).random)
    waits = [backoff.delay(1) for _ in range(200)]
    assert all(30 < wait <= 60 for wait in waits)
    assert len({round(wait, 3) for wait in waits}) > 190
    assert max(waits) - min(waits) > 25  # over most of the half-minute it may use


def test_a_polling_loop_backs_off_a_database_outage_with_jitter_and_resets():
    outage = OperationalError("SELECT 1", {}, Exception("connection refused"))
    loop = LoopBackoff(
        logging.getLogger("test"), "plans", "relay", backoff=Backoff(0.5, 5, random=lambda: 0.5)
    )
    assert [loop.failed(outage) for _ in range(6)] == [0.375, 0.75, 1.5, 3, 3.75, 3.75]
    loop.succeeded()
    assert loop.failed(outage) == 0.375


def test_a_worker_holds_its_batch_through_a_database_outage_with_jittered_waits(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))

    class FailingTwice:
        service = "plans"
        failures = 2

        def process_batch(self, messages):
            if self.failures:
                self.failures -= 1
                raise DatabaseUnavailable("OperationalError")
            return [Disposition.PROCESSED] * len(messages)

    worker = EventWorker(
        load_settings(), FailingTwice(), database_backoff=Backoff(0.5, 5, random=lambda: 1.0)
    )
    worker._ack_many = False
    held = []
    monkeypatch.setattr(worker, "_hold", held.append)
    delivery = SimpleNamespace(body=b"{}", headers={}, ack=lambda multiple=False: None)
    worker.on_message(delivery)
    worker.flush()
    assert held == [0.25, 0.5]


def test_a_row_the_broker_refused_is_retried_after_a_jittered_wait(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    clock = FrozenClock(datetime(2031, 5, 17, 3, 14, 15, tzinfo=UTC))
    relay = OutboxRelay(
        load_settings(),
        None,
        None,
        clock=clock,
        publish_backoff=Backoff(2, 60, random=lambda: 0.5),
    )
    row = SimpleNamespace(id=1, routing_key="plan.created", publish_attempts=2, last_error=None)
    relay._record_failure(row, "nacked")
    assert row.publish_attempts == 3
    # The third attempt's plain wait is 8 s; the draw takes a quarter of it off.
    assert (row.available_at - clock()).total_seconds() == 6
