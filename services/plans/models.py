"""Plans' tables: recovery plans, goals, action steps and their occurrences, check-ins,
revisions (history), the nudge timeline and per-organisation settings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import InboxRecord, OutboxRecord, clock_now
from shared.db.idempotency import IdempotencyRecord
from shared.db.staff_access import StaffAccessRecord
from shared.db.types import JsonType, UtcDateTime


class Base(DeclarativeBase):
    pass


class RecoveryPlan(Base):
    __tablename__ = "recovery_plans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    coach_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    baseline_ratings: Mapped[dict] = mapped_column(JsonType, nullable=False)
    assessment_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The newest assessment known (client.onboarded carries it): "latest" in progress.
    latest_ratings: Mapped[dict | None] = mapped_column(JsonType, nullable=True)
    latest_assessment_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # K10 and WEMWBS ({"k10": {"total", "band"}, "wemwbs": {...}}) at baseline and latest.
    baseline_measures: Mapped[dict | None] = mapped_column(JsonType, nullable=True)
    latest_measures: Mapped[dict | None] = mapped_column(JsonType, nullable=True)
    review_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    review_due_emitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    risk_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    risk_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Self check-in prompts the coach asked for: local weekdays ("mon".."sun", in week
    # order) and "HH:MM"; both null for none (see ``mood_prompts``).
    mood_prompt_weekdays: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    mood_prompt_local_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # A missed self check-in's escalation (``escalation``); null: the organisation's default.
    escalation_client_reminder_after_minutes: Mapped[int | None] = mapped_column(
        Integer, nullable=True
    )
    escalation_supporters_after_missed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalation_supporters_after_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # The onboarding that drafted this plan: a second delivery cannot draft another.
    source_event_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )

    goals: Mapped[list[Goal]] = relationship(
        back_populates="plan", order_by="Goal.position", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("tenant_id", "source_event_id", name="uq_plan_source"),)
    __mapper_args__ = {"version_id_col": version}

    @property
    def mood_prompts(self) -> dict | None:
        return mood_prompts_view(self.mood_prompt_weekdays, self.mood_prompt_local_time)


def mood_prompts_view(weekdays: list | None, local_time: str | None) -> dict | None:
    """A plan's mood prompts as the API shows them: null when there are none."""
    if not weekdays or not local_time:
        return None
    return {"weekdays": list(weekdays), "local_time": local_time}


class Goal(Base):
    __tablename__ = "goals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    domain: Mapped[str] = mapped_column(String(40), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    measure_of_success: Mapped[str | None] = mapped_column(Text, nullable=True)
    target_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    priority: Mapped[str] = mapped_column(String(10), nullable=False, default="medium")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="proposed")
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    achieved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)

    plan: Mapped[RecoveryPlan] = relationship(back_populates="goals")

    __mapper_args__ = {"version_id_col": version}


class ActionStep(Base):
    """A step towards a goal: one-off (``due_at``) or recurring in the client's timezone."""

    __tablename__ = "action_steps"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_plans.id"), index=True)
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goals.id"), index=True)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    frequency: Mapped[str] = mapped_column(String(10), nullable=False)  # once, daily, weekly
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    local_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    weekdays: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reminder_lead_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    # Occurrences starting before this instant have been materialised (and announced).
    scheduled_through: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)

    occurrences: Mapped[list[ActionOccurrence]] = relationship(
        back_populates="action", order_by="ActionOccurrence.due_at", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class ActionOccurrence(Base):
    """One occurrence, announced once: the unique key makes a second announcement fail."""

    __tablename__ = "action_occurrences"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    action_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("action_steps.id"), index=True)
    occurrence_key: Mapped[str] = mapped_column(String(40), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The client's Done (``client.replied``) that completed it; null when a coach did, so
    # the client taking their Done back reopens only what that Done completed.
    completed_by_reply_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)

    action: Mapped[ActionStep] = relationship(back_populates="occurrences")

    __table_args__ = (UniqueConstraint("action_id", "occurrence_key", name="uq_action_occurrence"),)


class CheckIn(Base):
    __tablename__ = "checkins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_plans.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    mode: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    attended: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    wellbeing: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    goals_discussed: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    obstacles: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_steps: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    missed_emitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)

    __mapper_args__ = {"version_id_col": version}


class RiskFlag(Base):
    """A raised flag; unique per (plan, reason, source) so it is raised once. The source
    (``checkin_id``) is the check-in, or the client reply, that raised it."""

    __tablename__ = "risk_flags"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_plans.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    checkin_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)

    __table_args__ = (
        UniqueConstraint("plan_id", "reason", "checkin_id", name="uq_risk_flag_once"),
    )


class JournalEntry(Base):
    """A client's reply, as the coach sees it in the plan's journal: every reply (a mood
    rating is a wellbeing point with source ``client``), with the client's words for
    journal and crisis replies. The id is the reply's id (``client.replied``)."""

    __tablename__ = "journal_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # The client's current plan when the reply came; null if they had none yet.
    plan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("recovery_plans.id"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    intent: Mapped[str] = mapped_column(String(10), nullable=False)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    occurrence_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # A Done the client took back on their page (``action.completion_withdrawn``).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)

    __table_args__ = (Index("ix_journal_client", "tenant_id", "client_id"),)


class Revision(Base):
    """Who changed what on a plan, and when: the plan's history."""

    __tablename__ = "revisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_plans.id"), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor: Mapped[str] = mapped_column(String(20), nullable=False)  # staff or system
    entity: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    change: Mapped[str] = mapped_column(String(40), nullable=False)
    fields: Mapped[dict] = mapped_column(JsonType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)


class TimelineEntry(Base):
    """A nudge notifications sent or failed to send, shown beside the plan."""

    __tablename__ = "timeline_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    event_type: Mapped[str] = mapped_column(String(40), nullable=False)
    nudge_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)


class OrganisationSettings(Base):
    """Per-tenant settings of plans (plans has no organisation table of its own)."""

    __tablename__ = "organisation_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    review_interval_weeks: Mapped[int] = mapped_column(Integer, nullable=False, default=12)
    missed_checkin_after_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=1440)
    # The organisation's default escalation of a missed self check-in (``escalation``).
    escalation_client_reminder_after_minutes: Mapped[int] = mapped_column(
        Integer, nullable=False, default=30
    )
    escalation_supporters_after_missed: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1
    )
    escalation_supporters_after_minutes: Mapped[int] = mapped_column(
        Integer, nullable=False, default=120
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class ClientProfile(Base):
    """Who a client is, as far as the caseload and the review report need: kept from
    intake's ``client.onboarded`` / ``client.updated``, deleted on ``client.erased``."""

    __tablename__ = "client_profiles"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    given_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    preferred_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    external_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The newest event applied: an older one arriving late changes nothing.
    as_of: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # The client's phone as ``phone_hash`` digests it (never the number; null: no phone,
    # or a profile from before plans kept it), and whether the person with it confirmed
    # by replying that the record is theirs (notifications' ``contact.phone_confirmed``,
    # the newest applied as of ``phone_confirmation_as_of``).
    phone_hash: Mapped[str | None] = mapped_column(String(16), nullable=True)
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    phone_confirmation_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CrisisAlertState(Base):
    """A client's crisis alert as notifications announced it (``crisis_alerts``): the
    caseload puts a client with one not yet resolved first."""

    __tablename__ = "crisis_alert_states"

    alert_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # open (nobody acknowledged it yet), acknowledged, resolved
    state: Mapped[str] = mapped_column(String(12), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_crisis_alert_states_client", "tenant_id", "client_id", "state"),)


class StaffMember(Base):
    """A coach's or admin's name (from ``staff.created`` / ``staff.updated``), to name the
    coach in the review report."""

    __tablename__ = "staff_members"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class OrganisationProfile(Base):
    """The organisation's display name, as the staff events carry it."""

    __tablename__ = "organisation_profiles"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ReportNotes(Base):
    """The coach's summary and recommendations for a plan's review report, and the
    journal entries it quotes."""

    __tablename__ = "report_notes"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_plans.id"), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    recommendations: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Ids of the plan's journal entries the coach chose to quote (the participant's own
    # words); null: none chosen.
    quoted_entries: Mapped[list | None] = mapped_column(JsonType, nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )

    __mapper_args__ = {"version_id_col": version}


class Outbox(OutboxRecord, Base):
    pass


class ProcessedEvent(InboxRecord, Base):
    pass


class IdempotencyKey(IdempotencyRecord, Base):
    pass


class StaffAccess(StaffAccessRecord, Base):
    """Each staff member's standing from intake, checked against every token (``shared.auth``)."""
