"""The table behind ``Idempotency-Key``: one row per (scope, key), storing the answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.engine import clock_now
from shared.db.types import JsonType, UtcDateTime


class IdempotencyRecord:
    __tablename__ = "idempotency_keys"

    # "<tenant id>:<staff id>" of the caller, or "platform" for calls made before
    # authentication (earlier versions stored the tenant id alone).
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: in progress
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    headers: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=clock_now)
