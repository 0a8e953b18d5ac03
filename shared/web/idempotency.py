"""``Idempotency-Key`` for POST endpoints.

The first request with a key reserves it (a row with no answer yet, stamped with the
moment it was reserved), runs, and stores its answer; a retry by the same caller (staff
member) with the same key and body gets the stored answer again, another caller's same key
is another key; the same key with another body is refused (422). Refusals (4xx) are stored
and replayed like successes; a request that fails with a 5xx before changing anything
releases its key so it can be retried. Secrets in an answer (a new API key, an access
token) are shown once: they are stored, and so replayed, as null. Keys and their answers
are kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (24), then housekeeping deletes them
(``shared/db/housekeeping.py``): a retry after that is a new request.

A database outage must not leave a key reserved for a day. A retry while the first request
still holds the key gets 409 with ``Retry-After``; a reservation older than
:data:`ABANDONED_AFTER` (its request died, or could not release it because the database
was away) is taken over by the retry, which runs the request again. That is safe because
the reservation is also a fence: every :class:`~shared.db.unit_of_work.UnitOfWork` a keyed
request commits first marks the key "changed" (:data:`CHANGED`) in the same transaction,
and only if the reservation is still the request's own. A request whose key was taken
over therefore commits nothing (409), and a key whose change committed is never run again:
if its answer was lost with the database, a retry is told so (409, no ``Retry-After``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Response, current_app, g, make_response, request
from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from shared import context
from shared.clock import Clock
from shared.errors import Conflict, DomainError, Unprocessable
from shared.web.problems import handle_domain_error, handle_http_exception

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
# Where a service's app keeps its :class:`IdempotencyStore` (``app.extensions``).
EXTENSION = "idempotency"
REPLAYED_HEADERS = ("Location", "Content-Type", "ETag")
MAX_KEY_LENGTH = 200
SECRET_FIELDS = ("api_key", "access_token")
# A reservation this old whose request has changed nothing is taken over by a retry:
# longer than a request should ever run. One that still runs after it is fenced off (its
# commit is refused) rather than carried out twice.
ABANDONED_AFTER = timedelta(seconds=60)
# The status of a key whose request has committed its change but not yet stored its answer.
CHANGED = 0
# How long a retry is asked to wait while the first request holds the key.
IN_PROGRESS_RETRY_AFTER_SECONDS = 2
# How every POST documents the header in its API's OpenAPI document.
HEADER_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Retry safely: the same key and body replay the first answer; "
    "the same key with another body is refused (422); while the first request with the "
    "key is still running a retry gets 409 with Retry-After. A key is kept for 24 hours "
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


@dataclass(frozen=True)
class IdempotencyStore:
    """Where a service keeps its keys, and its clock: given to its app by the service's
    runtime (``app.extensions[EXTENSION]``), so this module needs no runtime."""

    session_factory: Callable[[], Session]
    model: type | None
    clock: Clock


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
        store: IdempotencyStore = current_app.extensions[EXTENSION]
        reservation = _Reservation(store, _scope(), key, _digest())
        refusal = reservation.take()
        if refusal is not None:
            return refusal
        fence = context.before_commit.set(reservation.mark_changed)
        try:
            response = make_response(view(*args, **kwargs))
        except DomainError as exc:  # a refusal is an answer too: replay it
            response = handle_domain_error(exc)
        except HTTPException as exc:
            response = handle_http_exception(exc)
        except Exception:
            reservation.release()
            raise
        finally:
            context.before_commit.reset(fence)
        if response.status_code >= 500:
            reservation.release()
        else:
            reservation.store(response)
        return response

    return wrapper


class _Reservation:
    """One request's hold on its key: the row ``(scope, key)`` stamped ``reserved_at``."""

    def __init__(self, store: IdempotencyStore, scope: str, key: str, digest: str):
        self.session_factory = store.session_factory
        self.model = store.model
        self.scope, self.key, self.digest = scope, key, digest
        self.reserved_at = store.clock()

    def _mine(self):
        model = self.model
        return (
            model.scope == self.scope,
            model.key == self.key,
            model.created_at == self.reserved_at,
        )

    def take(self) -> Response | None:
        """Reserve the key (``None``), or the answer a retry gets instead."""
        model = self.model
        with self.session_factory() as session:
            try:
                session.add(
                    model(
                        scope=self.scope,
                        key=self.key,
                        request_digest=self.digest,
                        created_at=self.reserved_at,
                    )
                )
                session.commit()
                return None
            except IntegrityError:
                session.rollback()
            record = session.get(model, (self.scope, self.key))
            if record is None:  # released between our insert and our read: let them retry
                return _in_progress("A request with this Idempotency-Key just failed; retry it.")
            if record.request_digest != self.digest:
                raise Unprocessable(
                    "This Idempotency-Key was used with a different request.",
                    errors={HEADER: ["Already used for another request body."]},
                )
            if record.status == CHANGED:
                raise Conflict(
                    "The request with this Idempotency-Key was carried out, but its answer "
                    "was lost in an outage; it will not be carried out again. Look for "
                    "its result before sending it with a new key."
                )
            if record.status is not None:
                response = Response(record.body, status=record.status, headers=record.headers)
                response.headers["Idempotent-Replayed"] = "true"
                return response
            age = self.reserved_at - record.created_at
            if age < ABANDONED_AFTER or not self._take_over(session, record.created_at):
                wait = min(IN_PROGRESS_RETRY_AFTER_SECONDS, (ABANDONED_AFTER - age).total_seconds())
                return _in_progress(
                    "A request with this Idempotency-Key is still in progress.",
                    max(1, math.ceil(wait)),
                )
            log.info(
                "idempotency key taken over", extra={"abandoned_for_s": round(age.total_seconds())}
            )
            return None

    def _take_over(self, session: Session, abandoned_at: datetime) -> bool:
        model = self.model
        taken = session.execute(
            update(model)
            .where(
                model.scope == self.scope,
                model.key == self.key,
                model.created_at == abandoned_at,
                model.status.is_(None),
            )
            .values(created_at=self.reserved_at)
        )
        session.commit()
        return taken.rowcount == 1

    def mark_changed(self, session: Session) -> None:
        """In the request's transaction, just before it commits: the key is still ours
        (else :class:`Conflict`, and the transaction commits nothing) and now "changed"."""
        model = self.model
        marked = session.execute(
            update(model)
            .where(*self._mine(), or_(model.status.is_(None), model.status == CHANGED))
            .values(status=CHANGED)
        )
        if marked.rowcount != 1:
            raise Conflict(
                "A retry with this Idempotency-Key took this request over; it changed nothing."
            )

    def store(self, response: Response) -> None:
        with self.session_factory() as session:
            session.execute(
                update(self.model)
                .where(*self._mine())
                .values(
                    status=response.status_code,
                    body=_without_secrets(response),
                    headers={
                        h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers
                    },
                )
            )
            session.commit()

    def release(self) -> None:
        """Give the key back after a failure, unless the request's change committed
        (then a retry must not run it again). If the database is away, the reservation
        stays until a retry takes it over (:data:`ABANDONED_AFTER`)."""
        model = self.model
        try:
            with self.session_factory() as session:
                session.execute(delete(model).where(*self._mine(), model.status.is_(None)))
                session.commit()
        except SQLAlchemyError as exc:
            log.warning("idempotency key not released", extra={"error": type(exc).__name__})


def _in_progress(detail: str, retry_after: int = 1) -> Response:
    response = handle_domain_error(Conflict(detail))
    response.headers["Retry-After"] = str(retry_after)
    return response


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
