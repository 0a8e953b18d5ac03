"""The replies' tables: each inbound text by its id, each reply recorded once, an organisation's
own sending numbers, crisis texts no confirmed record has, and the coach's crisis alerts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.models import Base
from shared.db import clock_now
from shared.db.types import UtcDateTime


class InboundMessage(Base):
    """A text the SMS provider delivered to our webhook, by its message id, so that a
    repeat (a provider retry, or a captured request replayed) changes nothing. Nothing
    personal is kept: no number, no text."""

    __tablename__ = "inbound_messages"

    message_sid: Mapped[str] = mapped_column(String(80), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ReceivedReply(Base):
    """A reply the client sent (SMS, an email link, their page), recorded once.

    The id is the reply's idempotency key (from the provider's message id); what the reply
    said travels to plans in ``client.replied`` and is not kept here.
    """

    __tablename__ = "client_replies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    intent: Mapped[str] = mapped_column(String(10), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)

    __table_args__ = (Index("ix_client_replies_client", "tenant_id", "client_id"),)


class SenderNumber(Base):
    """An organisation's own SMS sending number: everything it sends by SMS goes from
    it, and a text to it belongs to that organisation alone. Unique across organisations."""

    __tablename__ = "sender_numbers"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)


class UnroutedMessage(Base):
    """A crisis text from a number no confirmed record has: answered with the crisis text
    at once, kept for the organisation's admins (an organisation's own number) or the
    platform operator (the shared number, ``tenant_id`` null) to follow up."""

    __tablename__ = "unrouted_messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    to_number: Mapped[str] = mapped_column(String(32), nullable=False)
    from_phone: Mapped[str] = mapped_column(String(32), nullable=False)
    # unknown (no record), unconfirmed (records the person has not confirmed)
    why: Mapped[str] = mapped_column(String(12), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)


class CrisisAlert(Base):
    """The coach's alerts for one client's crisis messages: the first alerts at once, and
    further ones within ``coalescing`` minutes fold into one follow-up alert.

    Someone owns it (``alerts``): ``open`` until a coach or admin acknowledges it, then
    ``resolved`` with a short note. While open, at ``escalate_at`` it goes to the
    organisation's on-call list (``alert_escalation``), ``escalations`` times so far."""

    __tablename__ = "crisis_alerts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # What the client last wrote (health data: erased with the client).
    latest_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="open")
    # When it goes to the on-call list next (null: not again).
    escalate_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    escalations: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The staff member (null: someone on the on-call list, by the link they were sent).
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    acknowledged_via: Mapped[str | None] = mapped_column(String(12), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # How it ended (health data: never logged, erased with the client).
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_crisis_alerts_client", "tenant_id", "client_id", "opened_at"),
        Index("ix_crisis_alerts_state", "tenant_id", "state", "opened_at"),
        Index("ix_crisis_alerts_escalation", "state", "escalate_at"),
    )
