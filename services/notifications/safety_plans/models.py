"""The safety plans' tables: each client's plan (its current version and whether the
client confirmed it) and every version of it, kept. Health data: erased with the client."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.models import Base
from shared.db.types import JsonType, UtcDateTime


class SafetyPlan(Base):
    """A client's safety plan: which version is current, and when the client confirmed it
    (``None`` until they do, and again after their coach writes a new version)."""

    __tablename__ = "safety_plans"
    __table_args__ = (UniqueConstraint("tenant_id", "client_id", name="uq_safety_plans_client"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    client_acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SafetyPlanVersion(Base):
    """One version of a plan, as its author left it: the six sections (``sections``), who
    wrote it (``author``: ``staff`` with ``author_id``, or ``client``) and when."""

    __tablename__ = "safety_plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "version", name="uq_safety_plan_versions_version"),
        Index("ix_safety_plan_versions_client", "tenant_id", "client_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("safety_plans.id", ondelete="CASCADE"), nullable=False
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    sections: Mapped[dict] = mapped_column(JsonType, nullable=False)
    author: Mapped[str] = mapped_column(String(10), nullable=False)
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
