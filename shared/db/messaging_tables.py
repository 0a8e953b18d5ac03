"""Mixins for the outbox and inbox tables every service owns in its own database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.db.engine import clock_now
from shared.db.types import JsonType, UtcDateTime


class OutboxRecord:
    """A message to publish, written in the same transaction as the change that caused it.

    Also carries the consumer runner's own retries and dead letters, addressed to a
    queue through the direct exchange, with ``available_at`` in the future for backoff.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    exchange: Mapped[str] = mapped_column(String(200), nullable=False)
    routing_key: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    headers: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    aggregate_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    publish_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    @declared_attr.directive
    def __table_args__(cls):
        return (
            Index("ix_outbox_pending", "published_at", "available_at", "id"),
            # Erasure finds a client's rows by it (their events' texts are scrubbed).
            Index("ix_outbox_aggregate", "aggregate_id"),
        )


class InboxRecord:
    """An event this service has processed; its id makes redelivery harmless."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # Indexed for housekeeping, which forgets ids after INBOX_RETENTION_DAYS.
    processed_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, index=True
    )
