"""The supporters' tables: each supporter a client chose, every message a supporter was
sent (the disclosure log), each mood prompt watched for an answer, and each client's
escalation windows as plans announced them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.models import Base
from shared.db.types import JsonType, UtcDateTime


class Supporter(Base):
    """Someone the client chose to be told a little (``rules.SCOPES``): invited, active
    once they confirm, removed when they or the client end it. ``crisis`` is a scope only
    with its own consent, recorded with who, when and how (as intake's consent records)."""

    __tablename__ = "supporters"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    relationship: Mapped[str | None] = mapped_column(String(50), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    scopes: Mapped[list] = mapped_column(JsonType, nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False)  # invited, active, removed
    # The client's consent to adding them: how, by whom (None: the client), when.
    consent_method: Mapped[str] = mapped_column(String(30), nullable=False)
    consent_recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # The client's own consent to the crisis scope, apart.
    crisis_consent_method: Mapped[str | None] = mapped_column(String(30), nullable=True)
    crisis_consent_recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    crisis_consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (Index("ix_supporters_client", "tenant_id", "client_id"),)

    @property
    def has_crisis_consent(self) -> bool:
        return "crisis" in self.scopes and self.crisis_consent_at is not None


class Disclosure(Base):
    """One message to a supporter: who was told (by their id; the address is kept until the
    client is erased), what kind of message, its exact text, when, and under which
    consent. Erasure keeps the bare row (kind, when) and drops the rest."""

    __tablename__ = "supporter_disclosures"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    supporter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    nudge_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    scope: Mapped[str | None] = mapped_column(String(20), nullable=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    supporter_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    text: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    consent: Mapped[dict | None] = mapped_column(JsonType, nullable=True)
    disclosed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_supporter_disclosures_client", "tenant_id", "client_id"),)


class CheckinWatch(Base):
    """A mood prompt sent: answered or not. The escalation (``escalation``) counts the
    prompts missed in a row from these rows."""

    __tablename__ = "checkin_watches"

    prompt_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the nudge
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    alerted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (Index("ix_checkin_watches_client", "tenant_id", "client_id", "sent_at"),)


class EscalationSetting(Base):
    """The client's escalation windows, from plans' ``plan.escalation_set``."""

    __tablename__ = "checkin_escalations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_reminder_after_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    supporters_after_missed: Mapped[int] = mapped_column(Integer, nullable=False)
    supporters_after_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
