"""Keyset (cursor) pagination: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime

from sqlalchemy import Select, and_, or_

from shared.errors import Unprocessable


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created_at), uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise Unprocessable(
            "The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]}
        ) from exc


def paginate(session, stmt: Select, model, cursor: str | None, limit: int) -> dict:
    """Order by (created_at, id) and return ``{"items", "next_cursor"}``."""
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                model.created_at > created_at,
                and_(model.created_at == created_at, model.id > row_id),
            )
        )
    rows = list(session.scalars(stmt.order_by(model.created_at, model.id).limit(limit + 1)))
    next_cursor = (
        encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    )
    return {"items": rows[:limit], "next_cursor": next_cursor}
