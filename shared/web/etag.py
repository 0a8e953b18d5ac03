"""Optimistic concurrency over HTTP: ``ETag`` on reads, ``If-Match`` on writes (412)."""

from __future__ import annotations

from flask import request

from shared.errors import PreconditionFailed

# How a write that honours If-Match documents the header in its API's OpenAPI document.
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag you read; a stale one is refused with 412.",
}


def etag_of(resource_id, version: int) -> str:
    """The ``ETag`` of version ``version`` of a resource."""
    return f'"{resource_id}.{version}"'


def tagged(row, body=None, status: int = 200, **headers: str) -> tuple:
    """A view's answer with the ``ETag`` of ``row`` (its ``id`` and ``version``): ``body``
    if given, else the row itself."""
    answer = row if body is None else body
    return answer, status, {"ETag": etag_of(row.id, row.version), **headers}


def require_fresh(current_etag: str) -> None:
    """Refuse a write whose ``If-Match`` names another version (absent means no check)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in candidates and current_etag not in candidates:
        raise PreconditionFailed(
            "The resource has changed since you read it; fetch it again and retry.",
            errors={"If-Match": [f"Current ETag is {current_etag}."]},
        )
