"""RFC 9457 problem+json responses: the one error format of every API."""

from __future__ import annotations

import logging

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

from shared.db.outage import RETRY_AFTER_SECONDS, is_database_outage
from shared.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_LOCATIONS = ("json", "query", "path", "headers", "form", "view_args", "cookies", "files")


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: dict) -> dict:
    """Flatten webargs' ``{"json": {"field": [...]}}`` to ``{"field": [...]}``."""
    flat: dict = {}
    for location, errors in messages.items():
        if location in _LOCATIONS and isinstance(errors, dict):
            flat.update(errors)
        else:
            flat[location] = errors
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if errors:
        errors = field_errors(errors)
    detail = data.get("message") or error.description
    if error.code == 422 and errors:
        detail = "The request has invalid fields: " + ", ".join(sorted(map(str, errors)))
    if (
        error.code == 400
        and errors
        and "json" in str(errors).lower()
        and "Invalid JSON" in str(errors)
    ):
        detail = "The request body is not valid JSON."
    return problem(error.code or 500, error.name, detail, errors, data.get("headers"))


def handle_domain_error(error: DomainError) -> Response:
    return problem(error.status, error.title, error.detail, error.errors)


def _route() -> str:
    """The request's route template: a path itself may carry an id or a link's token."""
    return request.url_rule.rule if request.url_rule else "unmatched"


def handle_unexpected(error: Exception) -> Response:
    if is_database_outage(error):
        # Not the request's fault: a retry (with its Idempotency-Key) is safe.
        log.warning(
            "database unavailable", extra={"route": _route(), "error": type(error).__name__}
        )
        return problem(
            503,
            "Service unavailable",
            "The service cannot reach its database just now; please try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    # Never leak internals; the log has the traceback (without request bodies).
    log.exception("unhandled error", extra={"route": _route(), "error": type(error).__name__})
    return problem(500, "Internal server error", "Something went wrong on our side.")
