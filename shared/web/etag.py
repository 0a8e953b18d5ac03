"""Optimistic concurrency over HTTP: ``ETag`` on reads, ``If-Match`` on writes (412)."""

from __future__ import annotations

from flask import request

from shared.errors import PreconditionFailed


def etag_of(resource_id, version: int) -> str:
    return f'"{resource_id}.{version}"'


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
