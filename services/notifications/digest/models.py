"""What notifications knows of a client's plan, from plans' events: its steps, check-ins and
goals (the weekly digest and the client's page read them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.models import Base
from shared.db.types import UtcDateTime


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
