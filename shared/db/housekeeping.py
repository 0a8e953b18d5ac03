"""Housekeeping: what a service keeps only for a while, then deletes.

- **Idempotency keys** and the answers stored with them, which can hold a client's
  details: ``IDEMPOTENCY_KEY_TTL_HOURS`` (24). A retry after that is a new request.
- **Published outbox rows**: ``OUTBOX_RETENTION_DAYS`` (7), for tracing an event back.
  A row not yet published is never removed.
- **Inbox rows** (the ids of processed events): ``INBOX_RETENTION_DAYS`` (30), far longer
  than a copy of an event can arrive late (a relay republishing, a broker redelivering).

A service adds its own growing tables as :class:`Purge` rules (notifications: finished
nudges and inbound SMS ids after ``NUDGE_RETENTION_DAYS``, 90, never sooner than a day
past ``INBOX_RETENTION_DAYS``, so that a late copy of the event that made a nudge still
meets its unique key). Every rule's condition is served by an index, and nothing still
needed matches one: pending work (an unpublished outbox row, a nudge not yet finished)
never does, whatever its age.

Every service's relay runs it each ``HOUSEKEEPING_INTERVAL_SECONDS`` (an hour), and
``coaching housekeeping`` runs it once. Rows go in batches of ``BATCH_SIZE``, each its own
short transaction, so no statement holds its locks for long and autovacuum reuses the
space as it goes; several relays doing it at the same time is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, inspect, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from shared.clock import Clock
from shared.config import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 1000


@dataclass(frozen=True)
class Retention:
    idempotency_keys: timedelta
    published_outbox: timedelta
    inbox: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(
            idempotency_keys=timedelta(hours=settings.idempotency_key_ttl_hours),
            published_outbox=timedelta(days=settings.outbox_retention_days),
            inbox=timedelta(days=settings.inbox_retention_days),
        )


@dataclass(frozen=True)
class Purge:
    """A table a service keeps only for a while: ``condition(now)`` says which rows have
    been kept long enough (served by an index; never a row still needed)."""

    name: str
    model: type
    condition: Callable[[datetime], ColumnElement[bool]]


class Housekeeper:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        retention: Retention,
        *,
        outbox_model: type,
        inbox_model: type,
        idempotency_model: type | None,
        clock: Clock,
        batch_size: int = BATCH_SIZE,
        purges: Sequence[Purge] = (),
    ):
        self.session_factory = session_factory
        self.clock = clock
        self.retention = retention
        self.outbox = outbox_model
        self.inbox = inbox_model
        self.idempotency = idempotency_model
        self.batch_size = batch_size
        self.purges = tuple(purges)

    def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """Delete what has been kept long enough; return how many rows went, per table."""
        now = now or self.clock()
        outbox, inbox = self.outbox, self.inbox
        removed = {
            "outbox": self._delete(
                outbox,
                outbox.published_at.is_not(None)
                & (outbox.published_at < now - self.retention.published_outbox),
            ),
            "inbox": self._delete(inbox, inbox.processed_at < now - self.retention.inbox),
        }
        if self.idempotency is not None:
            removed["idempotency_keys"] = self._delete(
                self.idempotency,
                self.idempotency.created_at < now - self.retention.idempotency_keys,
            )
        for purge in self.purges:
            removed[purge.name] = self._delete(purge.model, purge.condition(now))
        if any(removed.values()):
            log.info("housekeeping removed old rows", extra={"removed": removed})
        return removed

    def _delete(self, model: type, condition: ColumnElement[bool]) -> int:
        key = tuple_(*inspect(model).primary_key)
        total = 0
        while True:
            batch = select(*inspect(model).primary_key).where(condition).limit(self.batch_size)
            with self.session_factory() as session:
                statement = delete(model).where(key.in_(batch))
                count = session.execute(
                    statement, execution_options={"synchronize_session": False}
                ).rowcount
                session.commit()
            total += count
            if count < self.batch_size:
                return total
