"""The Kombu worker: consumes a service's queue in small batches and acknowledges each
batch only after the :class:`~shared.messaging.inbox.InboxProcessor` committed it.

A batch is handled on a thread of its own while the broker's thread gathers the next
one, so that reading and decoding deliveries overlaps the database's work. Batches are
still handled one at a time and in order: the next is handed over only once the one
before has committed and been acknowledged.

While the database is unreachable the worker holds its messages (unacknowledged, still
answering heartbeats) and tries again after a pause that doubles up to a bound.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from kombu import Consumer
from kombu.mixins import ConsumerMixin

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


class EventWorker(ConsumerMixin):
    """Consumes this service's queue with manual acks and a prefetch limit.

    Messages are gathered into small batches (up to ``batch_size``, or whatever arrived
    within ``max_wait`` seconds) and handled in one transaction, then acknowledged. One
    batch is handled (on the handler thread) while the next is gathered; ``prefetch``
    holds both.
    """

    def __init__(
        self,
        settings: Settings,
        processor: InboxProcessor,
        prefetch: int = 200,
        batch_size: int = 100,
        max_wait: float = 0.02,
    ):
        self.settings = settings
        self.processor = processor
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.connection = broker_connection(settings)
        # AMQP acknowledges everything up to a delivery tag in one frame; Kombu's virtual
        # transports (the embedded one) take acks one at a time.
        self._ack_many = self.connection.transport.driver_type == "amqp"
        self._pending: list = []
        self._first_pending_at = 0.0
        # The batch being handled, and its result to come.
        self._handler = ThreadPoolExecutor(1, thread_name_prefix=f"{processor.service}-handler")
        self._in_hand: tuple[list, Future] | None = None
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
            )
            yield connection

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
        self._let_go_in_hand()
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
        if not self._pending:
            self._first_pending_at = time.monotonic()
        self._pending.append(message)
        if len(self._pending) >= self.batch_size and not self._holding:
            self.flush()

    def on_iteration(self) -> None:
        if self._in_hand is not None and self._in_hand[1].done():
            self._finish_in_hand()  # acknowledge it now, not when the next batch is full
        if self._pending and time.monotonic() - self._first_pending_at >= self.max_wait:
            self.flush()

    def flush(self) -> None:
        """Hand the gathered batch to the handler thread, once the batch before it has
        been handled and acknowledged."""
        self._finish_in_hand()
        batch, self._pending = self._pending, []
        messages = [(m.body, m.headers) for m in batch]
        self._in_hand = (batch, self._handler.submit(self.processor.process_batch, messages))

    def flush_all(self) -> None:
        """Handle and acknowledge everything received, before the worker stops."""
        if self._pending:
            self.flush()
        self._finish_in_hand()

    def _finish_in_hand(self) -> None:
        """Wait for the batch in hand; acknowledge it once committed. While the database
        is unreachable its handling is retried here, holding the messages."""
        if self._in_hand is None:
            return
        batch, handled = self._in_hand
        self._in_hand = None
        messages = [(m.body, m.headers) for m in batch]
        delay = DATABASE_BACKOFF_START_SECONDS
        service = self.processor.service
        while True:
            try:
                outcomes = handled.result()
                break
            except DatabaseUnavailable as exc:
                DATABASE_UNAVAILABLE.labels(service, "worker").inc()
                if self.should_stop:
                    # Unacknowledged, they go back to the queue when the connection closes.
                    return
                log.warning(
                    "database unavailable; holding messages and retrying",
                    extra={
                        "service": self.processor.service,
                        "messages": len(batch),
                        "retry_in_seconds": delay,
                        "error": str(exc),
                    },
                )
                self._hold(delay)
                delay = min(delay * 2, DATABASE_BACKOFF_MAX_SECONDS)
                handled = self._handler.submit(self.processor.process_batch, messages)
        for disposition, count in collections.Counter(outcomes).items():
            EVENTS_HANDLED.labels(service, disposition.value).inc(count)
        if self._ack_many:
            batch[-1].ack(multiple=True)  # every delivery up to it is handled by now
        else:
            for message in batch:
                message.ack()

    def _let_go_in_hand(self) -> None:
        """A new channel: the batch in hand was delivered on the lost one, which can no
        longer acknowledge it. Let it finish (committed or not) and forget it; the
        broker delivers its messages again and the inbox knows the ones committed."""
        if self._in_hand is None:
            return
        _batch, handled = self._in_hand
        self._in_hand = None
        with contextlib.suppress(Exception):
            handled.result()

    def _hold(self, seconds: float) -> None:
        """Wait without going silent on the broker: keep reading frames and answering
        heartbeats, so the connection (and the held deliveries) survive the wait. New
        deliveries only join the next batch."""
        self._holding = True
        try:
            deadline = time.monotonic() + seconds
            while (remaining := deadline - time.monotonic()) > 0 and not self.should_stop:
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
        log.info("worker started", extra={"service": self.processor.service})
        # A short drain timeout lets on_iteration flush a partial batch promptly.
        try:
            self.run(safety_interval=self.max_wait)
        finally:
            self._let_go_in_hand()
            self._handler.shutdown()
        log.info("worker stopped", extra={"service": self.processor.service})

    def on_consume_end(self, connection, channel) -> None:
        # Stopping: the channel is still open, so what was received can be acknowledged.
        self.flush_all()


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
