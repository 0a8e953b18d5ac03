"""The Kombu worker: consumes a service's queue in small batches and acknowledges each
batch only after the :class:`~shared.messaging.inbox.InboxProcessor` committed it.

While the database is unreachable the worker holds its messages (unacknowledged, still
answering heartbeats) and tries again after a pause that doubles up to a bound.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import logging
import threading
import time

from kombu import Consumer
from kombu.mixins import ConsumerMixin

from shared import liveness
from shared.backoff import Backoff
from shared.config import Settings
from shared.messaging.connection import broker_connection
from shared.messaging.inbox import DatabaseUnavailable, Handler, InboxProcessor, with_prefetch
from shared.messaging.topology import Topology
from shared.metrics import BROKER_RECONNECTS, DATABASE_UNAVAILABLE, EVENTS_HANDLED

# Where the handlers' helpers live is the inbox; kept importable from here too.
__all__ = ["EventWorker", "Handler", "InboxProcessor", "drain", "with_prefetch"]

log = logging.getLogger(__name__)

DATABASE_BACKOFF_START_SECONDS = 0.5
DATABASE_BACKOFF_MAX_SECONDS = 5.0


class _StopWaiting(Exception):
    """A worker told to stop while the broker is unreachable stops trying to connect."""


class EventWorker(ConsumerMixin):
    """Consumes this service's queue with manual acks and a prefetch limit.

    Messages are gathered into batches and each is handled in one transaction, then
    acknowledged. A batch is handled once it holds ``batch_size`` messages, once the queue
    has been quiet for ``max_wait`` seconds, or once its first message has waited
    ``max_age`` seconds. A lone message waits ``max_wait``; under load the batches are
    full (reading 200 deliveries takes longer than ``max_wait``, so cutting a batch at
    ``max_wait`` from its first message left them three quarters full).
    """

    def __init__(
        self,
        settings: Settings,
        processor: InboxProcessor,
        prefetch: int = 400,
        batch_size: int = 200,
        max_wait: float = 0.02,
        max_age: float = 0.1,
        database_backoff: Backoff | None = None,
    ):
        """``database_backoff``: how long a batch is held while the database is away
        (0.5 s doubled up to 5 s, jittered)."""
        self.settings = settings
        self.processor = processor
        self.database_backoff = database_backoff or Backoff(
            DATABASE_BACKOFF_START_SECONDS, DATABASE_BACKOFF_MAX_SECONDS
        )
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.max_age = max_age
        self.connection = broker_connection(settings)
        # AMQP acknowledges everything up to a delivery tag in one frame; Kombu's virtual
        # transports (the embedded one) take acks one at a time.
        self._ack_many = self.connection.transport.driver_type == "amqp"
        self._pending: list = []
        self._first_pending_at = 0.0
        self._last_received_at = 0.0
        self._active_connection = None
        self._holding = False
        self._connected_before = False

    @contextlib.contextmanager
    def establish_connection(self):
        # Kombu's default waits grow to 30 s between attempts: after a broker outage a
        # worker would sit idle long after the broker is back. Try every 2 s at most.
        with self.create_connection() as connection:
            connection.ensure_connection(
                self.on_connection_error,
                self.connect_max_retries,
                interval_start=0.2,
                interval_step=0.5,
                interval_max=2,
                callback=self._waiting_for_the_broker,
            )
            yield connection

    def _waiting_for_the_broker(self) -> None:
        """Called between tries to connect (every second at least): a worker waiting out
        a broker outage is alive (:mod:`shared.liveness`), and stops waiting once told to
        stop, instead of trying until it is killed."""
        liveness.beat()
        if self.should_stop:
            raise _StopWaiting

    def on_connection_revived(self) -> None:
        if self._connected_before:
            BROKER_RECONNECTS.labels(self.processor.service, "worker").inc()
        self._connected_before = True

    def on_consume_ready(self, connection, channel, consumers, **kwargs) -> None:
        self._active_connection = connection

    def get_consumers(self, consumer_cls, channel):
        topology = Topology(self.settings)
        topology.declare(self.connection)
        # Unacknowledged messages of a lost channel will be redelivered: forget them.
        self._pending.clear()
        return [
            consumer_cls(
                queues=[topology.queue(self.processor.service)],
                on_message=self.on_message,
                on_decode_error=self.on_decode_error,
                prefetch_count=self.prefetch,
                accept=["json"],
            )
        ]

    def on_message(self, message) -> None:
        self._last_received_at = time.monotonic()
        if not self._pending:
            self._first_pending_at = self._last_received_at
        self._pending.append(message)
        if len(self._pending) >= self.batch_size and not self._holding:
            self.flush()

    def on_iteration(self) -> None:
        liveness.beat()
        if not self._pending:
            return
        now = time.monotonic()
        if (
            now - self._last_received_at >= self.max_wait
            or now - self._first_pending_at >= self.max_age
        ):
            self.flush()

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        messages = [(m.body, m.headers) for m in batch]
        outages = 0
        service = self.processor.service
        while True:
            try:
                outcomes = self.processor.process_batch(messages)
                break
            except DatabaseUnavailable as exc:
                DATABASE_UNAVAILABLE.labels(service, "worker").inc()
                outages += 1
                delay = self.database_backoff.delay(outages)
                if self.should_stop:
                    # Unacknowledged, they go back to the queue when the connection closes.
                    return
                log.warning(
                    "database unavailable; holding messages and retrying",
                    extra={
                        "service": self.processor.service,
                        "messages": len(batch),
                        "retry_in_seconds": round(delay, 2),
                        "error": str(exc),
                    },
                )
                self._hold(delay)
        for disposition, count in collections.Counter(outcomes).items():
            EVENTS_HANDLED.labels(service, disposition.value).inc(count)
        if self._ack_many:
            batch[-1].ack(multiple=True)  # the batch is every unacknowledged delivery so far
        else:
            for message in batch:
                message.ack()

    def _hold(self, seconds: float) -> None:
        """Wait without going silent on the broker: keep reading frames and answering
        heartbeats, so the connection (and the held deliveries) survive the wait. New
        deliveries only join the next batch."""
        self._holding = True
        try:
            deadline = time.monotonic() + seconds
            while (remaining := deadline - time.monotonic()) > 0 and not self.should_stop:
                liveness.beat()
                connection = self._active_connection
                if connection is None:
                    time.sleep(min(remaining, 0.5))
                    continue
                # A lost connection raises out of here: the mixin reconnects and the
                # broker redelivers what was held.
                with contextlib.suppress(TimeoutError):
                    connection.drain_events(timeout=min(remaining, 0.5))
                connection.heartbeat_check()
        finally:
            self._holding = False

    def on_decode_error(self, message, exc) -> None:
        # Kombu's default acks (drops) an undecodable message; park it instead. If even
        # that cannot be written, leave it unacknowledged: it comes back after a reconnect.
        try:
            self.processor.park_undecodable(message.body, message.headers, f"undecodable: {exc}")
        except DatabaseUnavailable:
            log.warning("database unavailable; an undecodable message is left unacknowledged")
            return
        message.ack()

    def run_until(self, stop: threading.Event) -> None:
        def watch():
            stop.wait()
            self.should_stop = True

        threading.Thread(target=watch, daemon=True).start()
        # What was built to get here (modules, schemas, mappers) lives as long as the
        # process: keep the garbage collector from walking it again and again. A batch of
        # onboardings makes enough objects for several full collections, which cost about
        # a twentieth of the worker's time before.
        gc.freeze()
        log.info("worker started", extra={"service": self.processor.service})
        # A short drain timeout lets on_iteration flush a partial batch promptly.
        with contextlib.suppress(_StopWaiting):
            self.run(safety_interval=self.max_wait)
        if self._pending:
            self.flush()
        log.info("worker stopped", extra={"service": self.processor.service})


def drain(settings: Settings, processor: InboxProcessor, idle_seconds: float = 0.5) -> int:
    """Consume until the queue has been idle for ``idle_seconds``; return messages handled.

    Used by tests and operator tools to step the system without a long-running worker.
    """
    handled = 0
    with broker_connection(settings) as connection:
        topology = Topology(settings)
        topology.declare(connection)

        def on_message(message):
            nonlocal handled
            processor.process(message.body, message.headers)
            message.ack()
            handled += 1

        with Consumer(
            connection,
            queues=[topology.queue(processor.service)],
            on_message=on_message,
            prefetch_count=50,
            accept=["json"],
        ):
            while True:
                try:
                    connection.drain_events(timeout=idle_seconds)
                except TimeoutError:
                    return handled
