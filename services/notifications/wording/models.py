"""An organisation's own wording of a kind of nudge on a channel, in one language."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.models import Base
from shared.db import clock_now
from shared.db.types import UtcDateTime


class TemplateOverride(Base):
    """An organisation's own wording of one kind of nudge on one channel in one locale."""

    __tablename__ = "template_overrides"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    # A BCP 47 locale as Babel writes it ("en", "es", "es_MX"): ``locales``.
    locale: Mapped[str] = mapped_column(String(35), primary_key=True, default="en")
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=clock_now, onupdate=clock_now
    )
