"""Keyset (cursor) pagination: stable under inserts, no OFFSET scans.

The contract of every list, written here once: the query takes ``limit`` (1 to 200, 50
by default) and ``cursor`` (:func:`paged`); the answer is ``{"items", "next_cursor"}``
(:func:`page_of`), ``next_cursor`` null on the last page; a cursor we did not issue is
a 400 naming ``cursor`` (:func:`decode_cursor`). :func:`paginate` reads such a page.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from marshmallow import fields, validate
from sqlalchemy import Select, and_, or_

from shared.errors import Malformed
from shared.validation import Schema

# A cursor we issue is about 80 characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 200
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

S = TypeVar("S", bound=type)


class Cursor(fields.String):
    """The ``cursor`` query argument: the ``next_cursor`` of an earlier page, passed back
    as it was; any other string is a 400 naming ``cursor`` when the page is read."""


def paged(query: S | None = None, *, cursor: fields.Field | None = None) -> S | Callable[[S], S]:
    """Class decorator of a list's query schema: its filters, then ``limit`` and
    ``cursor``. A list that reads a cursor of its own shape gives its own ``cursor``
    field (``@paged(cursor=...)``)."""

    def with_page_fields(filters: S) -> S:
        page_fields = {
            "limit": fields.Integer(
                load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
            ),
            "cursor": cursor if cursor is not None else Cursor(load_default=None),
        }
        # A subclass, so the page fields come after the filters in the OpenAPI document.
        return type(filters)(
            filters.__name__,
            (filters,),
            {**page_fields, "__module__": filters.__module__, "__doc__": filters.__doc__},
        )

    return with_page_fields if query is None else with_page_fields(query)


@paged
class PageQuerySchema(Schema):
    """The query of a list without filters."""


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """The answer schema of a list of ``item``: ``items`` and ``next_cursor``. ``name``
    is its class name (the OpenAPI component's, less ``Schema``)."""
    return type(Schema)(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(allow_none=True),
            "__module__": item.__module__,
        },
    )


def encode_position(parts: list) -> str:
    """An opaque cursor holding ``parts`` (JSON values) for a list to read back with
    :func:`read_position`."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def read_position(cursor: str) -> object:
    """What :func:`encode_position` put in ``cursor``; ``ValueError`` (or ``TypeError``)
    when it is not such a cursor. The list checks the shape and answers the problem."""
    padded = cursor + "=" * (-len(cursor) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    """The opaque position after the row with ``created_at`` and ``row_id``."""
    return encode_position([created_at.isoformat(), str(row_id)])


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Read a cursor made by :func:`encode_cursor`; anything else is a 400 naming
    ``cursor``, whatever its shape (a client may send any string)."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        position = read_position(cursor)
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
    query: Mapping,
    *,
    at=None,
    newest_first: bool = False,
) -> dict:
    """The page of ``stmt`` that ``query`` (loaded by a :func:`paged` schema) asks for:
    ordered by (``at``, id), oldest first unless ``newest_first``, as
    ``{"items", "next_cursor"}``. ``at`` is a datetime column, ``created_at`` by default."""
    cursor, limit = query["cursor"], query["limit"]
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
