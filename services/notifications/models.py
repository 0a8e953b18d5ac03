"""Notifications' tables: the contact and staff projections, preferences, templates,
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


class TemplateOverride(Base):
    """An organisation's own wording of one kind of nudge on one channel."""

    __tablename__ = "template_overrides"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
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


class InboundMessage(Base):
    """A text the SMS provider delivered to our webhook, by its message id, so that a
    repeat (a provider retry, or a captured request replayed) changes nothing. Nothing
    personal is kept: no number, no text."""

    __tablename__ = "inbound_messages"

    message_sid: Mapped[str] = mapped_column(String(80), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


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


class PlannedStep(Base):
    """One occurrence of an action step, kept from plans' ``action.*`` events."""

    __tablename__ = "planned_steps"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    action_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    occurrence_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # scheduled, completed or cancelled
    status: Mapped[str] = mapped_column(String(12), nullable=False)

    __table_args__ = (Index("ix_planned_steps_client", "tenant_id", "client_id", "due_at"),)


class AchievedGoal(Base):
    """A goal the client reached, kept from ``goal.achieved``."""

    __tablename__ = "achieved_goals"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    goal_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    achieved_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_achieved_goals_client", "tenant_id", "client_id", "achieved_at"),)


class ClientGoal(Base):
    """A goal of the client's plan as plans last announced it (``goal.created``,
    ``goal.updated``), for the client's own page: its title, status and progress.
    ``changed_at`` is the announcing event's time, so an older event arriving late
    does not undo a newer one."""

    __tablename__ = "client_goals"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    goal_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_client_goals_client", "tenant_id", "client_id"),)


class PlannedCheckIn(Base):
    """A check-in, kept from plans' ``checkin.*`` events."""

    __tablename__ = "planned_checkins"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    checkin_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # scheduled, recorded, cancelled or missed
    status: Mapped[str] = mapped_column(String(12), nullable=False)

    __table_args__ = (Index("ix_planned_checkins_client", "tenant_id", "client_id", "starts_at"),)


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


class ClientRating(Base):
    """A client's 1-10 rating of how they feel (a mood reply), kept so their own page can
    show their last weeks. Health data: erased with the client. The id is the reply's."""

    __tablename__ = "client_ratings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_client_ratings_client", "tenant_id", "client_id", "rated_at"),)


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
    further ones within ``coalescing`` minutes fold into one follow-up alert."""

    __tablename__ = "crisis_alerts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # What the client last wrote (health data: erased with the client).
    latest_text: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_crisis_alerts_client", "tenant_id", "client_id", "opened_at"),)


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
