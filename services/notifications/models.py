"""Notifications' core tables: the contact and staff projections, preferences, organisations,
the suppression list and every nudge with its state."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import InboxRecord, OutboxRecord, clock_now
from shared.db.idempotency import IdempotencyRecord
from shared.db.staff_access import StaffAccessRecord
from shared.db.types import JsonType, UtcDateTime


class Base(DeclarativeBase):
    pass


class Contact(Base):
    """What notifications knows of a client (projected from intake's events), and the
    client's own notification preferences (set through this service's API)."""

    __tablename__ = "contacts"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    preferred_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    locale: Mapped[str] = mapped_column(String(16), nullable=False, default="en")
    consent_email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_sms: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Which coaches may see the client, as intake decides: the one assigned or the one
    # who referred them (see scoping.py).
    coach_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    referred_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # active, discharged or erased
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    # Preferences. Quiet hours are local "HH:MM"; equal start and end means none.
    quiet_start: Mapped[str] = mapped_column(String(5), nullable=False, default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), nullable=False, default="08:00")
    daily_cap: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    preferred_channel: Mapped[str] = mapped_column(String(10), nullable=False, default="email")
    # Intake's preferred_channels as last projected: only a change there overrides what
    # the preferences API set since (see contacts.project_preferred_channel).
    intake_preferred_channels: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    checkin_reminder_leads: Mapped[list] = mapped_column(
        JsonType, nullable=False, default=lambda: [1440, 60]
    )
    # When the latest STOP/START acted on this client (the provider's time where given):
    # an older keyword arriving later must not undo it.
    last_keyword_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The weekly digest's local weekday ("mon".."sun") and "HH:MM"; both null: no digest.
    digest_weekday: Mapped[str | None] = mapped_column(String(3), nullable=True, default="sun")
    digest_local_time: Mapped[str | None] = mapped_column(String(5), nullable=True, default="17:00")
    # Mood prompts as the coach last set them in plans (``plan.mood_prompts_set``): local
    # weekdays ("mon".."sun") and "HH:MM", both null for none; when that setting was made,
    # so that a late, older event cannot undo a newer one.
    mood_prompt_weekdays: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    mood_prompt_local_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    mood_prompts_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Named in a coach's crisis alert (newer producers send it; see ``coach_alerts``).
    family_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The person with ``phone`` confirmed this record by replying (``reply_routing``); until
    # then nothing they text is filed under it. ``phone_code`` is the one-time code its
    # opt-in text carries where the number is on more than one record.
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    phone_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Since a crisis message no coach has acknowledged yet: encouraging nudges wait.
    crisis_hold_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.given_name


class Organisation(Base):
    """An organisation's name (from intake's events) and its notification settings."""

    __tablename__ = "organisations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    help_contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The organisation-wide quiet-hours floor: a client's own setting cannot loosen it.
    quiet_floor_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_floor_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # Phrases read as a crisis on top of the platform's patterns, and the text a client
    # gets at once, in general and by region ({"GB": "..."}); null means none of the
    # organisation's own (``crisis_settings``).
    crisis_phrases: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    crisis_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    crisis_texts: Mapped[dict | None] = mapped_column(JsonType, nullable=True)
    # How a coach's crisis alert names the client: "full_name" (preferred or given name
    # and family name, as the caseload does) or "initials".
    alert_naming: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # A crisis alert not acknowledged within this many minutes (null: 15) goes to the
    # on-call list: email addresses and phones (null: the organisation's admins).
    acknowledge_within_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    on_call: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    # The language of its clients whose own locale the platform has no words for
    # (``wording.locales``); null is English.
    default_locale: Mapped[str | None] = mapped_column(String(35), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )


class StaffMember(Base):
    """Coaches and admins, projected from intake's events, to send them alerts."""

    __tablename__ = "staff"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )


class Suppression(Base):
    """An address or number that must not be messaged: STOP, unsubscribe, hard bounce.

    Only a keyed hash of the address is kept, so the list survives erasure without
    holding personal data.
    """

    __tablename__ = "suppressions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)


class Nudge(Base):
    """One message to one person for one occurrence; the unique key makes it exactly one."""

    __tablename__ = "nudges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    occurrence_key: Mapped[str] = mapped_column(String(200), nullable=False)
    # client, or coach for alerts (then staff_id says which coach)
    audience: Mapped[str] = mapped_column(String(10), nullable=False, default="client")
    staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # The action, check-in, goal or plan the nudge is about, to move or cancel it.
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    subject_occurrence: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The moment a reminder is for; once it has passed the reminder expires.
    event_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    variables: Mapped[dict | None] = mapped_column(JsonType, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # The language its message was written in (``wording.locales``), once written.
    locale_used: Mapped[str | None] = mapped_column(String(35), nullable=True)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    delivery_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )

    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id", "kind", "occurrence_key", name="uq_nudge_once"),
        Index("ix_nudges_due", "state", "due_at"),
        # The claim's order among pending nudges (dispatcher/claiming.py): priority, due time.
        Index(
            "ix_nudges_pending",
            "priority",
            "due_at",
            postgresql_where=text("state IN ('scheduled', 'deferred')"),
            sqlite_where=text("state IN ('scheduled', 'deferred')"),
        ),
        Index("ix_nudges_client", "tenant_id", "client_id"),
        Index("ix_nudges_subject", "tenant_id", "subject_id"),
        Index("ix_nudges_provider_id", "provider_message_id"),
    )


# -- what notifications knows of a client's plan, for the weekly digest -------------------


class SendRate(Base):
    """A provider's send rate, shared by every dispatcher (``rate_limits.py``): the next
    free slot, in seconds since the epoch on the database's clock."""

    __tablename__ = "send_rates"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "email", "sms:<from>"
    next_slot: Mapped[float] = mapped_column(Float(precision=53), nullable=False, default=0.0)


class Outbox(OutboxRecord, Base):
    pass


class ProcessedEvent(InboxRecord, Base):
    pass


class IdempotencyKey(IdempotencyRecord, Base):
    pass


class StaffAccess(StaffAccessRecord, Base):
    """Each staff member's standing from intake, checked against every token (``shared.auth``)."""


# The feature packages' own tables, so that the metadata is whole wherever it is read.
from services.notifications.client_web import models as _client_web_tables  # noqa: E402, F401
from services.notifications.digest import models as _digest_tables  # noqa: E402, F401
from services.notifications.replies import models as _replies_tables  # noqa: E402, F401
from services.notifications.safety_plans import models as _safety_plan_tables  # noqa: E402, F401
from services.notifications.supporters import models as _supporters_tables  # noqa: E402, F401
from services.notifications.wording import models as _wording_tables  # noqa: E402, F401
