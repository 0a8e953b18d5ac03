"""Plans' tables: recovery plans and their goals, drafted from onboarding."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import InboxRecord, OutboxRecord, utcnow
from shared.db.idempotency import IdempotencyRecord
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
    # The onboarding that drafted this plan: a second delivery cannot draft another.
    source_event_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    goals: Mapped[list[Goal]] = relationship(
        back_populates="plan", order_by="Goal.position", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("tenant_id", "source_event_id", name="uq_plan_source"),)


class Goal(Base):
    __tablename__ = "goals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recovery_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    domain: Mapped[str] = mapped_column(String(40), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="proposed")
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

    plan: Mapped[RecoveryPlan] = relationship(back_populates="goals")


class Outbox(OutboxRecord, Base):
    pass


class ProcessedEvent(InboxRecord, Base):
    pass


class IdempotencyKey(IdempotencyRecord, Base):
    pass
