"""Optimistic concurrency over HTTP: ``ETag`` on reads, ``If-Match`` on writes (412)."""

from __future__ import annotations

from flask import request

from shared.preconditions import check_if_match, etag_of

__all__ = ["IF_MATCH_PARAMETER", "etag_of", "if_match", "require_fresh", "tagged"]

# How a write that honours If-Match documents the header in its API's OpenAPI document.
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag you read; a stale one is refused with 412.",
}


def tagged(row, body=None, status: int = 200, **headers: str) -> tuple:
    """A view's answer with the ``ETag`` of ``row`` (its ``id`` and ``version``): ``body``
    if given, else the row itself."""
    answer = row if body is None else body
    return answer, status, {"ETag": etag_of(row.id, row.version), **headers}


def if_match() -> str | None:
    """The request's ``If-Match`` header, as a use case takes it (``None``: absent)."""
    return request.headers.get("If-Match")


def require_fresh(current_etag: str) -> None:
    """Refuse a write whose ``If-Match`` names another version (absent means no check)."""
    check_if_match(if_match(), current_etag)
