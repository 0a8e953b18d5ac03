"""The worker gathers the next batch while one is handled, and still handles batches one
at a time, in order, acknowledging each only once it has committed."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from shared.messaging.connection import broker_connection
from shared.messaging.topology import Topology
from tests.conftest import BACKEND
from tests.integration.test_dead_letters import _onboarded_envelope, _plan_count, _publish
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(
    not BACKEND.startswith("rabbitmq"), reason="batches and prefetch of a real broker"
)

BATCH = 20


def _waiting_in_queue(settings) -> int:
    """Ready messages, which includes any delivered but never acknowledged once the
    consumer's connection is gone."""
    with broker_connection(settings) as connection:
        queue = Topology(settings).queue("plans")(connection.default_channel)
        return queue.queue_declare(passive=True).message_count


class Recording:
    """Wraps the plans processor: records each batch's event ids, how many batches were
    in hand at once, and whether the next batch had been gathered while the first one
    was held."""

    def __init__(self, worker, hold_first: threading.Event):
        self.worker = worker
        self.processor = worker.processor
        self.hold_first = hold_first
        self.batches: list[list[str]] = []
        self.in_hand = 0
        self.most_in_hand = 0
        self.gathered_meanwhile = 0
        self._lock = threading.Lock()
        self.service = self.processor.service

    def __getattr__(self, name):
        return getattr(self.processor, name)

    def process_batch(self, messages):
        with self._lock:
            self.in_hand += 1
            self.most_in_hand = max(self.most_in_hand, self.in_hand)
        try:
            if not self.batches:
                # Held until the broker's thread has gathered a full next batch.
                self.hold_first.wait(timeout=20)
                self.gathered_meanwhile = len(self.worker._pending)
            self.batches.append([json.loads(body)["id"] for body, _ in messages])
            return self.processor.process_batch(messages)
        finally:
            with self._lock:
                self.in_hand -= 1


def test_the_next_batch_is_gathered_while_one_is_handled_in_order_and_acked_after_commit(
    system, settings
):
    worker = system.runtimes["plans"].worker()
    worker.batch_size = BATCH
    released = threading.Event()
    recording = Recording(worker, released)
    worker.processor = recording
    tenant_id = str(uuid.uuid4())
    envelopes = [_onboarded_envelope(tenant_id) for _ in range(5 * BATCH)]
    for envelope in envelopes:
        _publish(settings, json.dumps(envelope).encode())

    stop = threading.Event()
    thread = threading.Thread(target=worker.run_until, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(worker._pending) >= BATCH - 1, timeout=30, what="a next batch")
        # While the first batch is held, nothing of it is acknowledged yet.
        assert _plan_count(system) == 0
        released.set()
        wait_for(lambda: _plan_count(system) == len(envelopes), timeout=60, what="every plan")
    finally:
        released.set()
        stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()

    assert recording.gathered_meanwhile == BATCH  # received while the first was handled
    assert recording.most_in_hand == 1  # never two batches at once
    handled = [event_id for batch in recording.batches for event_id in batch]
    assert handled == [envelope["id"] for envelope in envelopes]  # in the order published
    # Every delivery was acknowledged: none went back to the queue when the worker left.
    assert _waiting_in_queue(settings) == 0


def test_a_worker_stopped_with_a_batch_in_hand_acknowledges_only_what_committed(system, settings):
    """Stopping while the database is refusing the batch in hand: it is not acknowledged,
    so the broker keeps it for the next worker, which handles each event once."""
    from shared.messaging.inbox import DatabaseUnavailable

    worker = system.runtimes["plans"].worker()
    worker.batch_size = BATCH
    processor = worker.processor
    refusing = threading.Event()
    refusing.set()

    class Refusing:
        service = processor.service

        def __getattr__(self, name):
            return getattr(processor, name)

        def process_batch(self, messages):
            if refusing.is_set():
                raise DatabaseUnavailable("OperationalError")
            return processor.process_batch(messages)

    worker.processor = Refusing()
    tenant_id = str(uuid.uuid4())
    bodies = [json.dumps(_onboarded_envelope(tenant_id)).encode() for _ in range(BATCH)]
    for body in bodies:
        _publish(settings, body)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_until, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: worker._in_hand is None and worker._holding, timeout=30, what="a hold")
    finally:
        stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert _plan_count(system) == 0
    assert _waiting_in_queue(settings) == BATCH  # none acknowledged

    refusing.clear()
    assert system.consume("plans") == BATCH
    assert _plan_count(system) == BATCH
