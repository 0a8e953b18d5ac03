"""The client's own ratings of how they feel, kept for their page."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.models import Base
from shared.db.types import UtcDateTime


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
