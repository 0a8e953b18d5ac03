"""A running dispatcher claims the next batch while a full one is sent, and sends every
batch it claimed, also the one claimed ahead when it is stopped."""

from __future__ import annotations

import logging
import threading

from services.notifications.dispatcher.claiming import Batch, claim_ahead
from shared.db.outage import LoopBackoff


class Rounds:
    """Fake ``take`` and ``deliver``: batches of the given sizes, a journal of events."""

    def __init__(self, sizes: list[int], stop: threading.Event, fail_take: int | None = None):
        self.sizes = list(sizes)
        self.stop = stop
        self.fail_take = fail_take
        self.taken = 0
        self.journal: list[str] = []
        self.lock = threading.Lock()
        self.taking_ahead = threading.Event()
        self.ahead = True

    def note(self, entry: str) -> None:
        with self.lock:
            self.journal.append(entry)

    def take(self) -> Batch:
        self.taken += 1
        number = self.taken
        try:
            if number == self.fail_take:
                self.note(f"take {number} failed")
                raise RuntimeError("the claim failed")
            size = self.sizes.pop(0) if self.sizes else 0
            if not self.sizes and size == 0:
                self.stop.set()
            self.note(f"took {number} ({size}) on {threading.current_thread().name[:7]}")
            batch = Batch(size, [number])
            batch.lease.callback(self.note, f"lease {number} released")
            return batch
        finally:
            if threading.current_thread() is not threading.main_thread():
                self.taking_ahead.set()

    def deliver(self, batch: Batch) -> None:
        with batch.lease:
            if batch.claimed == 3 and self.ahead:  # full: the next claim runs meanwhile
                assert self.taking_ahead.wait(5)
                self.taking_ahead.clear()
            self.note(f"delivered {batch.drafts[0]}")


def _run(rounds: Rounds, stop: threading.Event, ahead: bool = True) -> None:
    claim_ahead(
        rounds.take,
        rounds.deliver,
        stop,
        batch_size=3,
        poll_seconds=0.001,
        backoff=LoopBackoff(logging.getLogger("test"), "notifications", "dispatcher"),
        ahead=ahead,
    )


def test_a_full_batch_is_sent_while_the_next_is_claimed():
    stop = threading.Event()
    rounds = Rounds([3, 3, 1, 0], stop)
    _run(rounds, stop)
    assert rounds.journal == [
        "took 1 (3) on MainThr",
        "took 2 (3) on claimer",  # claimed while batch 1 was on the wire
        "delivered 1",
        "lease 1 released",
        "took 3 (1) on claimer",
        "delivered 2",
        "lease 2 released",
        "delivered 3",  # not full: nothing claimed ahead of it
        "lease 3 released",
        "took 4 (0) on MainThr",
        "delivered 4",
        "lease 4 released",
    ]


def test_the_batch_claimed_ahead_is_sent_when_the_dispatcher_stops():
    stop = threading.Event()
    rounds = Rounds([3, 2], stop)

    def deliver(batch: Batch) -> None:
        Rounds.deliver(rounds, batch)
        stop.set()  # SIGTERM while the first batch was on the wire

    rounds.deliver = deliver
    _run(rounds, stop)
    assert rounds.journal[-2:] == ["delivered 2", "lease 2 released"]
    assert rounds.taken == 2


def test_a_failed_claim_ahead_is_retried_after_the_backoff(caplog):
    stop = threading.Event()
    rounds = Rounds([3, 3, 1, 0], stop, fail_take=2)
    _run(rounds, stop)
    delivered = [entry for entry in rounds.journal if entry.startswith("delivered")]
    assert delivered == ["delivered 1", "delivered 3", "delivered 4", "delivered 5"]
    assert "take 2 failed" in rounds.journal
    assert "round failed; retrying" in caplog.text


def test_under_a_rate_limit_nothing_is_claimed_ahead():
    stop = threading.Event()
    rounds = Rounds([3, 3, 0], stop)
    rounds.ahead = False
    _run(rounds, stop, ahead=False)
    assert rounds.journal == [
        "took 1 (3) on MainThr",
        "delivered 1",
        "lease 1 released",
        "took 2 (3) on MainThr",
        "delivered 2",
        "lease 2 released",
        "took 3 (0) on MainThr",
        "delivered 3",
        "lease 3 released",
    ]


class RecordedWait:
    """An idle wait that notes how long the loop asked to wait and ends at once."""

    def __init__(self, rounds: Rounds):
        self.rounds = rounds

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.rounds.note(f"idle up to {seconds}")
        return True  # as if a commit's notification had come


def test_a_batch_that_was_not_full_waits_on_the_idle_wait_not_a_sleep():
    stop = threading.Event()
    rounds = Rounds([3, 1, 0], stop)
    claim_ahead(
        rounds.take,
        rounds.deliver,
        stop,
        batch_size=3,
        poll_seconds=3600.0,
        backoff=LoopBackoff(logging.getLogger("test"), "notifications", "dispatcher"),
        idle_wait=RecordedWait(rounds),
    )
    idle = [entry for entry in rounds.journal if entry.startswith("idle")]
    # After batches 2 (1 of 3) and 3 (empty), never after the full one; the hour's poll
    # handed to the wait, which ends it (here at once, as a commit's notification does).
    assert idle == ["idle up to 3600.0", "idle up to 3600.0"]
    assert rounds.taken == 3
