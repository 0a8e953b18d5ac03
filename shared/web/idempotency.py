"""``Idempotency-Key`` for POST endpoints.

The first request with a key reserves it (a row with no answer yet), runs, and stores its
answer; a retry by the same caller (staff member) with the same key and body gets the
stored answer again, another caller's same key is another key; the same key
with another body is refused (422); a retry while the first is still running gets 409.
Refusals (4xx) are stored and replayed like successes; a request that fails with a 5xx
releases its key so it can be retried. Secrets in an answer (a new API key, an access
token) are shown once: they are stored, and so replayed, as null. Keys and their answers
are kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (24), then housekeeping deletes them
(``shared/db/housekeeping.py``): a retry after that is a new request.
"""

from __future__ import annotations

import functools
import hashlib
import json

from flask import Response, g, make_response, request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from shared.errors import Conflict, DomainError, Unprocessable
from shared.runtime import current_runtime
from shared.web.problems import handle_domain_error, handle_http_exception

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Location", "Content-Type", "ETag")
MAX_KEY_LENGTH = 200
SECRET_FIELDS = ("api_key", "access_token")
# How every POST documents the header in its API's OpenAPI document.
HEADER_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Retry safely: the same key and body replay the first answer; "
    "the same key with another body is refused (422). A key is kept for 24 hours "
    "(IDEMPOTENCY_KEY_TTL_HOURS); a retry after that is a new request.",
}


def _scope() -> str:
    # A key belongs to the caller, not to their organisation: a colleague replaying it
    # must not get an answer about a client they may not see.
    principal = g.get("principal")
    return f"{principal.tenant_id}:{principal.staff_id}" if principal else "platform"


def _digest() -> str:
    return hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.get_data()
    ).hexdigest()


def idempotent(view):
    """Decorator for a POST view (inside authentication, outside body parsing)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise Unprocessable(
                "The Idempotency-Key is too long.",
                errors={HEADER: [f"At most {MAX_KEY_LENGTH} characters."]},
            )
        runtime = current_runtime()
        model = runtime.idempotency_model
        scope, digest = _scope(), _digest()
        with runtime.session_factory() as session:
            try:
                session.add(model(scope=scope, key=key, request_digest=digest))
                session.commit()
            except IntegrityError:
                session.rollback()
                return _replay(session.get(model, (scope, key)), digest)
        try:
            response = make_response(view(*args, **kwargs))
        except DomainError as exc:  # a refusal is an answer too: replay it
            response = handle_domain_error(exc)
        except HTTPException as exc:
            response = handle_http_exception(exc)
        except Exception:
            _release(runtime, model, scope, key)
            raise
        if response.status_code >= 500:
            _release(runtime, model, scope, key)
            return response
        with runtime.session_factory() as session:
            record = session.get(model, (scope, key))
            record.status = response.status_code
            record.body = _without_secrets(response)
            record.headers = {
                h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers
            }
            session.commit()
        return response

    return wrapper


def _without_secrets(response: Response) -> bytes:
    body = response.get_data()
    if not response.is_json:
        return body
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if not isinstance(document, dict) or not any(f in document for f in SECRET_FIELDS):
        return body
    return json.dumps({k: None if k in SECRET_FIELDS else v for k, v in document.items()}).encode()


def _replay(record, digest: str) -> Response:
    if record is None:  # released between our insert and our read: let the client retry
        raise Conflict("A request with this Idempotency-Key just failed; retry it.")
    if record.request_digest != digest:
        raise Unprocessable(
            "This Idempotency-Key was used with a different request.",
            errors={HEADER: ["Already used for another request body."]},
        )
    if record.status is None:
        raise Conflict("A request with this Idempotency-Key is still in progress.")
    response = Response(record.body, status=record.status, headers=record.headers)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _release(runtime, model, scope: str, key: str) -> None:
    with runtime.session_factory() as session:
        session.execute(delete(model).where(model.scope == scope, model.key == key))
        session.commit()
