"""The inbox processor: at-least-once delivery made effectively-once, without a transport.

For each message: validate the envelope and payload, then in ONE transaction record the
event id in the inbox and run the handler; the caller acknowledges only after that
commits. A failing handler is retried with exponential backoff by writing the message back
to this service's own outbox with a later ``available_at`` (addressed to its own queue
through the direct exchange); after ``MAX_DELIVERY_ATTEMPTS`` it is parked in the
dead-letter queue with the error. Undecodable or invalid messages go straight there. This
is done here, not by broker features, so it behaves the same on RabbitMQ and on the
embedded transport. The Kombu side (batches, acks, reconnects) is
:mod:`shared.messaging.consumer`.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import bindparam, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from shared import context
from shared.backoff import Backoff
from shared.clock import Clock
from shared.config import Settings
from shared.db import UnitOfWork
from shared.db.outage import is_database_outage
from shared.events import Envelope, Event, InvalidEvent, parse_envelope
from shared.messaging.topology import Topology

log = logging.getLogger(__name__)

# A handler receives the typed event (``event.data`` is its payload's frozen dataclass).
Handler = Callable[[Event, UnitOfWork], None]
Prefetch = Callable[[UnitOfWork, list[Event]], None]
MAX_RETRY_DELAY_SECONDS = 300
ERROR_HEADER_LIMIT = 1000


class DatabaseUnavailable(Exception):
    """The service's database cannot take the work (down, refusing connections, locked).

    Not the message's fault: the worker keeps the messages unacknowledged, backs off and
    tries again, so an outage burns no delivery attempt and parks nothing.
    """


def with_prefetch(prefetch: Prefetch) -> Callable[[Handler], Handler]:
    """Mark a handler whose events can share reads: in a batch, ``prefetch(uow, events)``
    runs once, before the handler runs for each of its events, so a handler that reads
    per event (say, a client's plans) can find them already loaded."""

    def mark(handler: Handler) -> Handler:
        handler.prefetches = (*_prefetches_of(handler), prefetch)  # type: ignore[attr-defined]
        return handler

    return mark


def subscriptions(*entries: tuple) -> dict[str, Handler]:
    """A service's handler table, written the same way in every service:
    ``subscriptions(("client.onboarded", effect, ...), ...)``. An event with several
    effects runs them in turn, in the event's one transaction; the reads they share
    (``with_prefetch``) are prefetched once per batch. The table's keys are the service's
    subscriptions: its queue is bound to them and nothing else."""
    table: dict[str, Handler] = {}
    for event_type, *effects in entries:
        if event_type in table:
            raise ValueError(f"{event_type} is handled twice: give its effects in one entry")
        if not effects:
            raise ValueError(f"{event_type} has no effect")
        table[event_type] = effects[0] if len(effects) == 1 else in_turn(*effects)
    return table


def in_turn(*effects: Handler) -> Handler:
    """One event with several effects, all in the event's one transaction."""

    def handle(event: Event, uow: UnitOfWork) -> None:
        for effect in effects:
            effect(event, uow)

    handle.__name__ = effects[0].__name__
    handle.effects = effects  # type: ignore[attr-defined]
    handle.prefetches = tuple(  # type: ignore[attr-defined]
        dict.fromkeys(prefetch for effect in effects for prefetch in _prefetches_of(effect))
    )
    return handle


def _prefetches_of(handler: Handler) -> tuple[Prefetch, ...]:
    return getattr(handler, "prefetches", ())


_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class Disposition(StrEnum):
    """What the inbox did with a message (the ``outcome`` label of events handled)."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    RETRY_SCHEDULED = "retry_scheduled"
    DEAD_LETTERED = "dead_lettered"


class InboxProcessor:
    """Transport-free core of the runner: body + headers in, a :class:`Disposition` out."""

    def __init__(
        self,
        settings: Settings,
        service: str,
        handlers: dict[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        inbox_model: type,
        outbox_model: type,
        *,
        clock: Clock,
        retry_backoff: Backoff | None = None,
    ):
        """``clock``: the service's clock (a dead letter's stamp, a retry's due time; the
        units of work carry the same). ``retry_backoff``: the wait before a failed handler
        is tried again (by default ``RETRY_BASE_SECONDS`` doubled per attempt up to five
        minutes, jittered)."""
        self.settings = settings
        self.clock = clock
        self.service = service
        self.handlers = handlers
        self.uow_factory = uow_factory
        self.inbox = inbox_model
        self.outbox = outbox_model
        self.topology = Topology(settings)
        self.retry_backoff = retry_backoff or Backoff(
            settings.retry_base_seconds, MAX_RETRY_DELAY_SECONDS
        )

    def process(self, body: bytes, headers: dict | None) -> Disposition:
        """Handle one message in its own transaction."""
        headers = dict(headers or {})
        attempt = _attempt_of(headers)
        try:
            envelope = parse_envelope(body)
        except InvalidEvent as exc:
            self._park(
                body, headers, attempt, str(exc), message_id=_message_id_of(body), tenant_id=None
            )
            return Disposition.DEAD_LETTERED
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return Disposition.IGNORED
        tokens = _enter_context(envelope)
        try:
            with self.uow_factory() as uow:
                outcome = Disposition.DUPLICATE
                if self._record_in_inbox(uow, [envelope]):
                    handler(envelope, uow)
                    outcome = Disposition.PROCESSED
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

    def process_batch(self, messages: list[tuple[bytes, dict | None]]) -> list[Disposition]:
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

    def _process_together(self, messages) -> list[Disposition]:
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
                    outcomes.append(Disposition.IGNORED)
                    continue
                if envelope.id not in fresh:
                    outcomes.append(Disposition.DUPLICATE)
                    continue
                fresh.discard(envelope.id)  # a second copy in the same batch is a duplicate
                tokens = _enter_context(envelope)
                try:
                    handler(envelope, uow)
                finally:
                    _leave_context(tokens)
                outcomes.append(Disposition.PROCESSED)
            uow.commit()
        return outcomes

    @staticmethod
    def _prefetch(uow: UnitOfWork, parsed: list[tuple[Envelope, Handler]]) -> None:
        batches: dict[Prefetch, list[Envelope]] = {}
        for envelope, handler in parsed:
            for prefetch in _prefetches_of(handler):
                batches.setdefault(prefetch, []).append(envelope)
        for prefetch, envelopes in batches.items():
            prefetch(uow, envelopes)

    def _record_in_inbox(self, uow: UnitOfWork, envelopes: list[Envelope]) -> set:
        """Insert the events' inbox rows in one statement; return the ids that were new.

        ``ON CONFLICT DO NOTHING``: an id processed before is skipped, and one a concurrent
        consumer is processing right now waits for that transaction, then is skipped if
        it committed, so each event's effect is applied once.
        """
        unique = {e.id: e for e in envelopes}
        if not unique:
            return set()
        table = self.inbox.__table__
        dialect = uow.session.get_bind().dialect.name
        now = uow.clock()
        if dialect == "postgresql":
            # One statement whatever the batch's size, with three arrays for parameters:
            # the same text every time (prepared once), nothing to render per row.
            params = {
                "event_ids": list(unique),
                "event_types": [e.type for e in unique.values()],
                "tenant_ids": [e.tenant_id for e in unique.values()],
                "processed_at": now,
            }
            stmt = _inbox_insert_from_arrays(table)
            return set(uow.session.execute(stmt, params).scalars().all())
        insert = _DIALECT_INSERTS[dialect](table)
        stmt = insert.on_conflict_do_nothing(index_elements=[table.c.event_id]).returning(
            table.c.event_id
        )
        rows = [
            {"event_id": e.id, "event_type": e.type, "tenant_id": e.tenant_id, "processed_at": now}
            for e in unique.values()
        ]
        return set(uow.session.execute(stmt, rows).scalars().all())

    def _handle_failure(self, body, headers, attempt, envelope: Envelope, exc) -> Disposition:
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
            return Disposition.DEAD_LETTERED
        self._schedule_retry(body, headers, attempt, error, envelope)
        return Disposition.RETRY_SCHEDULED

    def _schedule_retry(self, body, headers, attempt, error, envelope: Envelope) -> None:
        delay = self.retry_backoff.delay(attempt)
        self._write_outbox(
            body,
            routing_key=self.topology.queue_name(self.service),
            headers=headers
            | {"x-attempt": attempt + 1, "x-last-error": error[:ERROR_HEADER_LIMIT]},
            message_id=envelope.id,
            tenant_id=envelope.tenant_id,
            available_in=delay,
        )

    def park_undecodable(self, body, headers: dict | None, reason: str) -> None:
        """Park a message the transport could not even decode (first attempt, no id)."""
        self._park(body, dict(headers or {}), 1, reason, None, None)

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
                "x-dead-lettered-at": self.clock().isoformat(),
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
                    available_at=uow.clock() + timedelta(seconds=available_in),
                )
            )
            uow.commit()


@functools.cache
def _inbox_insert_from_arrays(table):
    """``INSERT .. SELECT * FROM unnest(ids, types, tenants) ON CONFLICT DO NOTHING
    RETURNING event_id``, built once per table. Written as text: SQLAlchemy's PostgreSQL
    ``insert`` (for ``ON CONFLICT``) has no cache key, so it was compiled afresh for every
    batch, a thirtieth of an onboarding's time."""
    columns = [table.c.event_id, table.c.event_type, table.c.tenant_id]
    return (
        text(
            f"INSERT INTO {table.name} (event_id, event_type, tenant_id, processed_at) "
            "SELECT incoming.*, :processed_at "
            "FROM unnest(:event_ids, :event_types, :tenant_ids) AS incoming "
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        )
        .bindparams(
            *(
                bindparam(name, type_=postgresql.ARRAY(column.type))
                for name, column in zip(
                    ("event_ids", "event_types", "tenant_ids"), columns, strict=True
                )
            ),
            bindparam("processed_at", type_=table.c.processed_at.type),
        )
        .columns(table.c.event_id)
    )


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
