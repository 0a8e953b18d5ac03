"""The unit of work: one database transaction holding a change and the events it causes."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared import context
from shared.events import new_envelope


class UnitOfWork:
    """Open a session; ``publish`` adds outbox rows to the same transaction.

    Use as a context manager: leaving it without ``commit()`` rolls everything back,
    so a failed request publishes nothing.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        outbox_model: type,
        *,
        producer: str,
        exchange: str,
    ):
        self._session_factory = session_factory
        self._outbox_model = outbox_model
        self.producer = producer
        self.exchange = exchange
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(self, *exc_info) -> None:
        assert self.session is not None
        # Closing rolls back anything uncommitted without expiring loaded objects,
        # so a view can still serialise what it read.
        self.session.close()

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()

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
        envelope = new_envelope(
            event_type,
            tenant_id,
            data,
            producer=self.producer,
            correlation_id=context.correlation_id.get(),
            causation_id=context.causation_id.get(),
        )
        self.session.add(
            self._outbox_model(
                message_id=uuid.UUID(envelope["id"]),
                tenant_id=uuid.UUID(str(tenant_id)),
                exchange=self.exchange,
                routing_key=event_type,
                body=json.dumps(envelope).encode(),
                headers={},
                aggregate_id=str(aggregate_id) if aggregate_id else None,
            )
        )
        return envelope
