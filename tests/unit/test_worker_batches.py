"""When the worker hands a gathered batch to the handlers: full under load, promptly when
the queue goes quiet, and never later than ``max_age`` after its first message."""

from __future__ import annotations

import pytest

from coaching.registry import load_settings
from shared.messaging import consumer
from shared.messaging.consumer import EventWorker
from shared.messaging.inbox import Disposition


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Delivery:
    def __init__(self, number: int):
        self.body, self.headers = f"{number}".encode(), {}
        self.acked = False

    def ack(self, multiple: bool = False) -> None:
        self.acked = True


class Recorder:
    service = "plans"

    def __init__(self):
        self.batches: list[list[bytes]] = []

    def process_batch(self, messages):
        self.batches.append([body for body, _ in messages])
        return [Disposition.PROCESSED] * len(messages)


@pytest.fixture
def worker(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    clock = Clock()
    monkeypatch.setattr(consumer.time, "monotonic", clock)
    recorder = Recorder()
    built = EventWorker(load_settings(), recorder, batch_size=200, max_wait=0.02, max_age=0.1)
    built._ack_many = False
    return built, recorder, clock


def _deliver(worker, clock, count: int, every: float, start: int = 0) -> list[Delivery]:
    deliveries = []
    for number in range(start, start + count):
        clock.now += every
        delivery = Delivery(number)
        deliveries.append(delivery)
        worker.on_message(delivery)
        worker.on_iteration()  # the consumer loop's turn after each delivery
    return deliveries


def test_under_load_batches_are_full(worker):
    worker, recorder, clock = worker
    # A delivery every 0.15 ms: 200 of them take 30 ms, longer than max_wait.
    _deliver(worker, clock, 450, every=0.00015)
    assert [len(batch) for batch in recorder.batches] == [200, 200]


def test_a_lone_message_is_handled_once_the_queue_has_been_quiet_for_max_wait(worker):
    worker, recorder, clock = worker
    (delivery,) = _deliver(worker, clock, 1, every=0.001)
    clock.now += 0.019
    worker.on_iteration()
    assert recorder.batches == []
    clock.now += 0.002
    worker.on_iteration()
    assert recorder.batches == [[b"0"]]
    assert delivery.acked


def test_a_steady_trickle_is_handled_within_max_age_of_its_first_message(worker):
    worker, recorder, clock = worker
    _deliver(worker, clock, 12, every=0.015)  # never quiet for 20 ms
    # The first batch went at the first turn after its first message was 0.1 s old: with
    # the eighth delivery, 105 ms after the first.
    assert [len(batch) for batch in recorder.batches] == [8]
