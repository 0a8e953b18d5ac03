"""Intake's tables: organisations (tenants), staff and their API keys, clients, consent,
assessments and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import InboxRecord, OutboxRecord, clock_now
from shared.db.idempotency import IdempotencyRecord
from shared.db.types import JsonType, UtcDateTime


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    default_region: Mapped[str] = mapped_column(String(2), nullable=False, default="AU")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)


class StaffMember(Base):
    __tablename__ = "staff"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Access tokens issued before this moment are refused (a key revoked or rotated, the
    # member deactivated); every service learns it from ``staff.access_changed``.
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )

    __table_args__ = (UniqueConstraint("tenant_id", "email", name="uq_staff_tenant_email"),)


class ApiKey(Base):
    """A staff member's API key: only a SHA-256 digest of the secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    secret_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    preferred_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    locale: Mapped[str] = mapped_column(String(16), nullable=False, default="en")
    preferred_channels: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    external_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    referral_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Current consent per channel; the history is in ConsentRecord.
    consent_email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_sms: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # When the person with this phone confirmed, by replying, that this record is theirs
    # (from notifications' ``contact.phone_confirmed``); null until then, and again once
    # the phone changes. ``phone_confirmation_as_of`` is the newest such event applied,
    # so a late, older one changes nothing.
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    phone_confirmation_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="referred")
    coach_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    referred_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), nullable=False)
    discharge_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    discharged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Set when personal data was erased: the row stays as an anonymous tombstone.
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_reference", name="uq_client_external_reference"),
    )


class ConsentRecord(Base):
    """One grant or withdrawal of consent to contact a client on a channel."""

    __tablename__ = "consent_records"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    method: Mapped[str] = mapped_column(String(30), nullable=False)
    # Null when the client acted themselves (SMS keyword, unsubscribe link).
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)


class ClientAuditEntry(Base):
    """Who changed what about a client, and when: field names only, never values."""

    __tablename__ = "client_audit"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    fields: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    # Null when the change came from an event (e.g. the client texted STOP).
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)


class Assessment(Base):
    """One version of a client's initial assessment; re-assessment adds a version."""

    __tablename__ = "assessments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    domain_ratings: Mapped[dict] = mapped_column(JsonType, nullable=False)
    strengths: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    challenges: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    aspirations: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    history: Mapped[str | None] = mapped_column(Text, nullable=True)
    support_network: Mapped[str | None] = mapped_column(Text, nullable=True)
    risk_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    k10_items: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    k10_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    k10_band: Mapped[str | None] = mapped_column(String(20), nullable=True)
    wemwbs_items: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    wemwbs_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assessed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)

    __table_args__ = (UniqueConstraint("client_id", "version", name="uq_assessment_version"),)

    @property
    def k10(self) -> dict | None:
        if self.k10_total is None:
            return None
        return {"items": self.k10_items, "total": self.k10_total, "band": self.k10_band}

    @property
    def wemwbs(self) -> dict | None:
        if self.wemwbs_total is None:
            return None
        return {"items": self.wemwbs_items, "total": self.wemwbs_total}


class Outbox(OutboxRecord, Base):
    pass


class ProcessedEvent(InboxRecord, Base):
    pass


class IdempotencyKey(IdempotencyRecord, Base):
    pass
