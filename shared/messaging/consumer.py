"""The inbox consumer runner: at-least-once delivery made effectively-once.

For each message: validate the envelope and payload, then in ONE transaction record the
event id in the inbox and run the handler; acknowledge only after that commits. A failing
handler is retried with exponential backoff by writing the message back to this
service's own outbox with a later ``available_at`` (addressed to its own queue through
the direct exchange), then acknowledged; after ``MAX_DELIVERY_ATTEMPTS`` it is parked in
the dead-letter queue with the error. Undecodable or invalid messages go straight there.
This is done by the runner, not by broker features, so it behaves the same on RabbitMQ
and on the embedded transport.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from kombu import Consumer
from kombu.mixins import ConsumerMixin
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from shared import context
from shared.config import Settings
from shared.db import UnitOfWork, utcnow
from shared.db.outage import is_database_outage
from shared.events import Envelope, InvalidEvent, parse_envelope
from shared.messaging.connection import broker_connection
from shared.messaging.topology import Topology
from shared.metrics import BROKER_RECONNECTS, DATABASE_UNAVAILABLE, EVENTS_HANDLED

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, UnitOfWork], None]
Prefetch = Callable[[UnitOfWork, list[Envelope]], None]
MAX_RETRY_DELAY_SECONDS = 300
ERROR_HEADER_LIMIT = 1000
# While the database is unreachable a worker holds its messages and tries again after
# a pause that doubles up to this bound.
DATABASE_BACKOFF_START_SECONDS = 0.5
DATABASE_BACKOFF_MAX_SECONDS = 5.0


class DatabaseUnavailable(Exception):
    """The service's database cannot take the work (down, refusing connections, locked).

    Not the message's fault: the worker keeps the messages unacknowledged, backs off and
    tries again, so an outage burns no delivery attempt and parks nothing.
    """


def with_prefetch(prefetch: Prefetch) -> Callable[[Handler], Handler]:
    """Mark a handler whose events can share reads: in a batch, ``prefetch(uow, envelopes)``
    runs once, before the handler runs for each of its events, so a handler that reads
    per event (say, a client's plans) can find them already loaded."""

    def mark(handler: Handler) -> Handler:
        handler.prefetch = prefetch  # type: ignore[attr-defined]
        return handler

    return mark


_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    RETRY_SCHEDULED = "retry_scheduled"
    DEAD_LETTERED = "dead_lettered"


class InboxProcessor:
    """Transport-free core of the runner: body + headers in, an :class:`Outcome` out."""

    def __init__(
        self,
        settings: Settings,
        service: str,
        handlers: dict[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        inbox_model: type,
        outbox_model: type,
    ):
        self.settings = settings
        self.service = service
        self.handlers = handlers
        self.uow_factory = uow_factory
        self.inbox = inbox_model
        self.outbox = outbox_model
        self.topology = Topology(settings)

    def process(self, body: bytes, headers: dict | None) -> Outcome:
        """Handle one message in its own transaction."""
        headers = dict(headers or {})
        attempt = _attempt_of(headers)
        try:
            envelope = parse_envelope(body)
        except InvalidEvent as exc:
            self._park(
                body, headers, attempt, str(exc), message_id=_message_id_of(body), tenant_id=None
            )
            return Outcome.DEAD_LETTERED
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return Outcome.IGNORED
        tokens = _enter_context(envelope)
        try:
            with self.uow_factory() as uow:
                outcome = Outcome.DUPLICATE
                if self._record_in_inbox(uow, [envelope]):
                    handler(envelope, uow)
                    outcome = Outcome.PROCESSED
                uow.commit()
            return outcome
        except Exception as exc:
            if is_database_outage(exc) and not self.database_reachable():
                raise DatabaseUnavailable(type(exc).__name__) from exc
            return self._handle_failure(body, headers, attempt, envelope, exc)
        finally:
            _leave_context(tokens)

    def database_reachable(self) -> bool:
        """One ``SELECT 1`` on a fresh unit of work: can this service use its database?"""
        try:
            with self.uow_factory() as uow:
                uow.session.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def process_batch(self, messages: list[tuple[bytes, dict | None]]) -> list[Outcome]:
        """Handle several messages in ONE transaction (one commit), falling back to one
        transaction per message if anything in the batch fails. The caller acknowledges
        the messages only after this returns."""
        if len(messages) > 1:
            try:
                return self._process_together(messages)
            except Exception as exc:
                if is_database_outage(exc) and not self.database_reachable():
                    raise DatabaseUnavailable(type(exc).__name__) from exc
                log.info(
                    "batch failed; handling its messages one by one",
                    extra={"service": self.service, "size": len(messages)},
                )
        return [self.process(body, headers) for body, headers in messages]

    def _process_together(self, messages) -> list[Outcome]:
        parsed = []
        for body, _headers in messages:
            envelope = parse_envelope(body)  # an invalid one makes the batch fall back
            parsed.append((envelope, self.handlers.get(envelope.type)))
        outcomes = []
        with self.uow_factory() as uow:
            fresh = self._record_in_inbox(uow, [e for e, handler in parsed if handler is not None])
            self._prefetch(uow, [(e, h) for e, h in parsed if h is not None and e.id in fresh])
            for envelope, handler in parsed:
                if handler is None:
                    outcomes.append(Outcome.IGNORED)
                    continue
                if envelope.id not in fresh:
                    outcomes.append(Outcome.DUPLICATE)
                    continue
                fresh.discard(envelope.id)  # a second copy in the same batch is a duplicate
                tokens = _enter_context(envelope)
                try:
                    handler(envelope, uow)
                finally:
                    _leave_context(tokens)
                outcomes.append(Outcome.PROCESSED)
            uow.commit()
        return outcomes

    @staticmethod
    def _prefetch(uow: UnitOfWork, parsed: list[tuple[Envelope, Handler]]) -> None:
        batches: dict[Prefetch, list[Envelope]] = {}
        for envelope, handler in parsed:
            prefetch = getattr(handler, "prefetch", None)
            if prefetch is not None:
                batches.setdefault(prefetch, []).append(envelope)
        for prefetch, envelopes in batches.items():
            prefetch(uow, envelopes)

    def _record_in_inbox(self, uow: UnitOfWork, envelopes: list[Envelope]) -> set:
        """Insert the events' inbox rows in one statement; return the ids that were new.

        ``ON CONFLICT DO NOTHING``: an id processed before is skipped, and one a concurrent
        consumer is processing right now waits for that transaction, then is skipped if
        it committed, so each event's effect is applied once.
        """
        rows = {
            e.id: {"event_id": e.id, "event_type": e.type, "tenant_id": e.tenant_id}
            for e in envelopes
        }
        if not rows:
            return set()
        table = self.inbox.__table__
        insert = _DIALECT_INSERTS[uow.session.get_bind().dialect.name](table)
        stmt = insert.on_conflict_do_nothing(index_elements=[table.c.event_id]).returning(
            table.c.event_id
        )
        now = utcnow()
        return set(
            uow.session.execute(stmt, [row | {"processed_at": now} for row in rows.values()])
            .scalars()
            .all()
        )

    def _handle_failure(self, body, headers, attempt, envelope: Envelope, exc) -> Outcome:
        error = f"{type(exc).__name__}: {exc}"
        log.warning(
            "handler failed",
            extra={
                "event_id": str(envelope.id),
                "event_type": envelope.type,
                "attempt": attempt,
                "error": type(exc).__name__,
            },
        )
        if attempt >= self.settings.max_delivery_attempts:
            self._park(body, headers, attempt, error, envelope.id, envelope.tenant_id)
            return Outcome.DEAD_LETTERED
        self._schedule_retry(body, headers, attempt, error, envelope)
        return Outcome.RETRY_SCHEDULED

    def _schedule_retry(self, body, headers, attempt, error, envelope: Envelope) -> None:
        delay = min(self.settings.retry_base_seconds * 2 ** (attempt - 1), MAX_RETRY_DELAY_SECONDS)
        self._write_outbox(
            body,
            routing_key=self.topology.queue_name(self.service),
            headers=headers
            | {"x-attempt": attempt + 1, "x-last-error": error[:ERROR_HEADER_LIMIT]},
            message_id=envelope.id,
            tenant_id=envelope.tenant_id,
            available_in=delay,
        )

    def _park(self, body, headers, attempt, error, message_id, tenant_id) -> None:
        log.warning(
            "message dead-lettered",
            extra={"service": self.service, "message_id": str(message_id), "attempt": attempt},
        )
        self._write_outbox(
            body,
            routing_key=self.topology.dead_letter_queue_name(self.service),
            headers=headers
            | {
                "x-attempt": attempt,
                "x-death-reason": error[:ERROR_HEADER_LIMIT],
                "x-dead-lettered-at": utcnow().isoformat(),
                "x-dead-lettered-by": self.service,
            },
            message_id=message_id or uuid.uuid4(),
            tenant_id=tenant_id,
            available_in=0,
        )

    def _write_outbox(self, body, *, routing_key, headers, message_id, tenant_id, available_in):
        """Address the message to a queue of this service through its outbox. If even
        that cannot be written, the database is the problem, not the message."""
        try:
            self._add_to_outbox(
                body,
                routing_key=routing_key,
                headers=headers,
                message_id=message_id,
                tenant_id=tenant_id,
                available_in=available_in,
            )
        except sa_exc.SQLAlchemyError as exc:
            raise DatabaseUnavailable(type(exc).__name__) from exc

    def _add_to_outbox(self, body, *, routing_key, headers, message_id, tenant_id, available_in):
        with self.uow_factory() as uow:
            uow.session.add(
                self.outbox(
                    message_id=message_id,
                    tenant_id=tenant_id,
                    exchange=self.topology.direct.name,
                    routing_key=routing_key,
                    body=body if isinstance(body, bytes) else str(body).encode(),
                    headers=_json_safe(headers),
                    available_at=utcnow() + timedelta(seconds=available_in),
                )
            )
            uow.commit()


class EventWorker(ConsumerMixin):
    """Consumes this service's queue with manual acks and a prefetch limit.

    Messages are gathered into small batches (up to ``batch_size``, or whatever arrived
    within ``max_wait`` seconds) and handled in one transaction, then acknowledged.
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
        if self._pending and time.monotonic() - self._first_pending_at >= self.max_wait:
            self.flush()

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        messages = [(m.body, m.headers) for m in batch]
        delay = DATABASE_BACKOFF_START_SECONDS
        service = self.processor.service
        while True:
            try:
                outcomes = self.processor.process_batch(messages)
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
        for outcome in outcomes:
            EVENTS_HANDLED.labels(service, outcome.value).inc()
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
            self.processor._park(
                message.body, message.headers, 1, f"undecodable: {exc}", None, None
            )
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


def _message_id_of(body) -> uuid.UUID:
    """The event id a message that failed validation claims, if it names one, so its dead
    letter can be found and matched across services; a fresh id otherwise."""
    try:
        return uuid.UUID(str(json.loads(body)["id"]))
    except Exception:
        return uuid.uuid4()


def _attempt_of(headers: dict) -> int:
    try:
        return max(int(headers.get("x-attempt", 1)), 1)
    except (TypeError, ValueError):
        return 1


def _json_safe(headers: dict) -> dict:
    return json.loads(json.dumps(headers, default=str))


def _enter_context(envelope: Envelope):
    return (
        context.correlation_id.set(envelope.correlation_id or str(envelope.id)),
        context.causation_id.set(str(envelope.id)),
        context.tenant_id.set(str(envelope.tenant_id)),
    )


def _leave_context(tokens) -> None:
    for var, token in zip(
        (context.correlation_id, context.causation_id, context.tenant_id), tokens, strict=True
    ):
        var.reset(token)
