"""Optimistic concurrency without the web: a resource's ``ETag`` and the check of an
``If-Match`` against it (412). The web layer reads the header (``shared.web.etag``); a use
case, which imports no web code, is handed its value and checks it here."""

from __future__ import annotations

from shared.errors import PreconditionFailed


def etag_of(resource_id, version: int) -> str:
    """The ``ETag`` of version ``version`` of a resource."""
    return f'"{resource_id}.{version}"'


def check_if_match(if_match: str | None, current_etag: str) -> None:
    """Refuse a write whose ``If-Match`` (the header's value) names another version
    (``None``, no header, means no check)."""
    if if_match is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in candidates and current_etag not in candidates:
        raise PreconditionFailed(
            "The resource has changed since you read it; fetch it again and retry.",
            errors={"If-Match": [f"Current ETag is {current_etag}."]},
        )
