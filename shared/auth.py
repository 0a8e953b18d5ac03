"""JWT access tokens issued by intake and verified locally by every service."""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app, g, request

from shared import context
from shared.domains import ROLES
from shared.errors import NotAllowed, Unauthorized

ALGORITHM = "HS256"
ISSUER = "coaching-intake"


@dataclass(frozen=True)
class Principal:
    staff_id: uuid.UUID
    tenant_id: uuid.UUID
    role: str


def issue_token(secret: str, principal: Principal, ttl_seconds: int) -> str:
    """Sign a short-lived access token for a staff member."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(principal.staff_id),
        "tid": str(principal.tenant_id),
        "role": principal.role,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str, *, at: float | None = None) -> Principal:
    """Check signature, expiry and claims; raise :class:`Unauthorized` otherwise.

    A token's signature and claims are checked once per process and remembered (a staff
    member sends the same token with every request for its lifetime); its expiry is
    checked on every call, against ``at`` (seconds since the epoch, now by default).
    """
    principal, expires_at = _checked(secret, token)
    if expires_at <= (time.time() if at is None else at):
        raise Unauthorized("The access token has expired.")
    return principal


@functools.lru_cache(maxsize=4096)
def _checked(secret: str, token: str) -> tuple[Principal, float]:
    """The principal and expiry of a token whose signature and claims hold (only such
    answers are remembered: a refusal raises, and exceptions are not cached)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "tid", "role", "exp", "iss"]},
        )
        principal = Principal(uuid.UUID(claims["sub"]), uuid.UUID(claims["tid"]), claims["role"])
        expires_at = float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.") from exc
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthorized("The access token is invalid.") from exc
    if principal.role not in ROLES:
        raise Unauthorized("The access token carries an unknown role.")
    return principal, expires_at


def current_principal() -> Principal:
    """The authenticated caller of this request (verified once, then cached)."""
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("A Bearer access token is required.")
        g.principal = verify_token(current_app.config["JWT_SECRET"], token.strip())
        # Every log line of this request now names the tenant (the web layer resets it).
        context.tenant_id.set(str(g.principal.tenant_id))
    return g.principal


def requires_role(*roles: str):
    """Decorator: authenticate the caller and require one of ``roles`` (any role if none)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if roles and principal.role not in roles:
                raise NotAllowed("Your role does not allow this action.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
