"""Keyset (cursor) pagination: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_

from shared.errors import Malformed

# A cursor we issue is about 80 characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 200


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    """The opaque position after the row with ``created_at`` and ``row_id``."""
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Read a cursor made by :func:`encode_cursor`; anything else is a 400 naming
    ``cursor``, whatever its shape (a client may send any string)."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not (
            isinstance(position, list)
            and len(position) == 2
            and all(isinstance(part, str) for part in position)
        ):
            raise ValueError("not a [created_at, id] pair")
        created_at = datetime.fromisoformat(position[0])
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return created_at.astimezone(UTC), uuid.UUID(position[1])
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise Malformed(
            "The cursor is not valid: pass back the next_cursor of an earlier page.",
            errors={"cursor": ["Not a valid cursor."]},
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
