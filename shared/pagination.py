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


def paginate(
    session,
    stmt: Select,
    model,
    cursor: str | None,
    limit: int,
    *,
    at=None,
    newest_first: bool = False,
) -> dict:
    """Order by (``at``, id), oldest first unless ``newest_first``, and return
    ``{"items", "next_cursor"}``. ``at`` is a datetime column, ``created_at`` by default."""
    at = model.created_at if at is None else at
    if cursor:
        moment, row_id = decode_cursor(cursor)
        if newest_first:
            stmt = stmt.where(or_(at < moment, and_(at == moment, model.id < row_id)))
        else:
            stmt = stmt.where(or_(at > moment, and_(at == moment, model.id > row_id)))
    order = (at.desc(), model.id.desc()) if newest_first else (at, model.id)
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(getattr(last, at.key), last.id)
    return {"items": rows[:limit], "next_cursor": next_cursor}
