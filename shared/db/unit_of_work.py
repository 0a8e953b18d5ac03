"""The unit of work: one database transaction holding a change and the events it causes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from shared import context
from shared.clock import Clock
from shared.db.bulk_insert import insert_rows
from shared.db.engine import wipe_write_ahead_log
from shared.events import new_envelope


class UnitOfWork:
    """Open a session; ``publish`` adds outbox rows to the same transaction.

    Use as a context manager: leaving it without ``commit()`` rolls everything back,
    so a failed request publishes nothing. Outbox rows are kept aside and written together
    just before the commit (cheaper than an ORM object each; see
    :mod:`shared.db.bulk_insert`); they are not visible to queries inside the transaction.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        outbox_model: type,
        *,
        producer: str,
        exchange: str,
        clock: Clock,
    ):
        self._session_factory = session_factory
        # The service's one clock (injected by its bootstrap; tests freeze it): handlers
        # and domain code ask ``uow.clock()`` for the time instead of reading it themselves.
        self.clock = clock
        self._outbox_model = outbox_model
        self.producer = producer
        self.exchange = exchange
        self.session: Session | None = None
        self._pending: list[dict[str, Any]] = []
        self._inserts: dict[Table, list[dict[str, Any]]] = {}
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._pending = []
        self._inserts = {}
        self._after_commit = []
        return self

    def __exit__(self, *exc_info) -> None:
        assert self.session is not None
        # Closing rolls back anything uncommitted without expiring loaded objects,
        # so a view can still serialise what it read.
        self.session.close()

    def insert_later(self, table: Table, row: dict[str, Any]) -> None:
        """Add a row to ``table`` with this transaction, written with the others of its
        table at once at commit (or at :meth:`write_inserts`), without an ORM object:
        much cheaper for rows a batch creates by the hundred. Tables are written
        in the order first named, so name a parent before its children. Until written, a
        row is not visible to queries."""
        self._inserts.setdefault(table, []).append(row)

    def write_inserts(self) -> None:
        """Write the rows kept by :meth:`insert_later` now, so queries see them."""
        assert self.session is not None
        inserts, self._inserts = self._inserts, {}
        for table, rows in inserts.items():
            insert_rows(self.session, table, rows)

    def commit(self) -> None:
        assert self.session is not None
        self.write_inserts()
        if self._pending:
            insert_rows(self.session, self._outbox_model.__table__, self._pending)
            self._pending = []
        guard = context.before_commit.get()
        if guard is not None:
            guard(self.session)
        self.session.commit()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    def rollback(self) -> None:
        assert self.session is not None
        self._pending = []
        self._inserts = {}
        self._after_commit = []
        self.session.rollback()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this transaction has committed (never if it rolls back)."""
        self._after_commit.append(action)

    def wipe_write_ahead_log_after_commit(self) -> None:
        """After an erasure: leave no earlier version of its rows in SQLite's log."""
        assert self.session is not None
        engine = self.session.get_bind()
        self.after_commit(lambda: wipe_write_ahead_log(engine))

    def publish(
        self,
        event_type: str,
        tenant_id: uuid.UUID | str,
        data: dict[str, Any],
        *,
        aggregate_id: uuid.UUID | str | None = None,
    ) -> dict[str, Any]:
        """Record an event to be published once this transaction commits."""
        assert self.session is not None
        envelope, row = self.outbox_row(event_type, tenant_id, data, aggregate_id=aggregate_id)
        self._pending.append(row)
        return envelope

    def outbox_row(
        self,
        event_type: str,
        tenant_id: uuid.UUID | str,
        data: dict[str, Any],
        *,
        aggregate_id: uuid.UUID | str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The envelope of an event (validated) and the outbox row that carries it."""
        event_id = uuid.uuid4()
        now = self.clock()
        envelope = new_envelope(
            event_type,
            tenant_id,
            data,
            producer=self.producer,
            correlation_id=context.correlation_id.get(),
            causation_id=context.causation_id.get(),
            event_id=event_id,
            occurred_at=now,
        )
        return envelope, {
            "message_id": event_id,
            "tenant_id": tenant_id if type(tenant_id) is uuid.UUID else uuid.UUID(str(tenant_id)),
            "exchange": self.exchange,
            "routing_key": event_type,
            "body": json.dumps(envelope).encode(),
            "headers": {},
            "aggregate_id": str(aggregate_id) if aggregate_id else None,
            "created_at": now,
            "available_at": now,
            "publish_attempts": 0,
        }
