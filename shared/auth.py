"""JWT access tokens issued by intake and verified locally by every service.

A token's signature holds for its whole life, but the member it names may change
within it: a key revoked, the member deactivated or given another role. So every
request is also checked against the member's current *standing* (active, role, and
the moment from which their tokens count), which each service reads from its own
tables: intake from its staff, the others from the projection they keep of intake's
``staff.access_changed`` events. A member the service has not heard of yet is
taken at their token's word.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import jwt
from flask import current_app, g, request

from shared import context
from shared.domains import ROLES
from shared.errors import NotAllowed, Unauthorized
from shared.principals import Principal, StaffStanding

ALGORITHM = "HS256"
ISSUER = "coaching-intake"

# How long an API process may reuse a member's standing for a read. Writes always read
# it afresh, so a demoted admin cannot create an admin even within this second.
STANDING_TTL_SECONDS = 1.0
STANDING_CACHE_SIZE = 4096
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# (tenant_id, staff_id) -> the member's standing, or None for a member not known here.
StandingLookup = Callable[[uuid.UUID, uuid.UUID], StaffStanding | None]


def issue_token(secret: str, principal: Principal, ttl_seconds: int, *, issued_at: datetime) -> str:
    """Sign a short-lived access token for a staff member, issued at ``issued_at`` (on the
    issuing service's clock).

    ``iat`` keeps its fraction of a second: a token issued just after a member's tokens
    were cut off must count as newer than the cut-off.
    """
    now = issued_at
    claims = {
        "sub": str(principal.staff_id),
        "tid": str(principal.tenant_id),
        "role": principal.role,
        "iss": ISSUER,
        "iat": now.timestamp(),
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class VerifiedToken:
    principal: Principal
    issued_at: float | None  # seconds since the epoch
    expires_at: float


def verify_token(secret: str, token: str, *, at: float | None = None) -> Principal:
    """Check signature, expiry and claims; raise :class:`Unauthorized` otherwise."""
    return verified_token(secret, token, at=at).principal


def verified_token(secret: str, token: str, *, at: float | None = None) -> VerifiedToken:
    """As :func:`verify_token`, with the token's issue and expiry times.

    A token's signature and claims are checked once per process and remembered (a staff
    member sends the same token with every request for its lifetime); its expiry is
    checked on every call, against ``at`` (seconds since the epoch, now by default: by the
    host's clock, as every service judges a token whatever its own clock says).
    What is remembered is only what the token says: the member's standing is checked
    on every request by :func:`current_principal`.
    """
    verified = _checked(secret, token)
    if verified.expires_at <= (time.time() if at is None else at):
        raise Unauthorized("The access token has expired.")
    return verified


@functools.lru_cache(maxsize=4096)
def _checked(secret: str, token: str) -> VerifiedToken:
    """The claims of a token whose signature and claims hold (only such answers are
    remembered: a refusal raises, and exceptions are not cached)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "tid", "role", "exp", "iss"]},
        )
        principal = Principal(uuid.UUID(claims["sub"]), uuid.UUID(claims["tid"]), claims["role"])
        issued_at = float(claims["iat"]) if "iat" in claims else None
        expires_at = float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.") from exc
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthorized("The access token is invalid.") from exc
    if principal.role not in ROLES:
        raise Unauthorized("The access token carries an unknown role.")
    return VerifiedToken(principal, issued_at, expires_at)


def admit(verified: VerifiedToken, standing: StaffStanding | None) -> Principal:
    """The caller as their standing now says, or :class:`Unauthorized`.

    An inactive member, or a token issued before the member's tokens were cut off, is
    refused; the role is the member's current one, not the one the token was issued
    with. A member not known here (``standing`` None) is taken at the token's word.
    """
    principal = verified.principal
    if standing is None:
        return principal
    if not standing.active:
        raise Unauthorized("This staff member is deactivated.")
    cut_off = standing.tokens_valid_after
    if cut_off is not None and (
        verified.issued_at is None or verified.issued_at < cut_off.timestamp()
    ):
        raise Unauthorized("The access token was revoked; request a new one.")
    if standing.role != principal.role:
        return replace(principal, role=standing.role)
    return principal


class StandingCache:
    """Members' standings as one API process reads them, each kept a second at most.

    A read within :data:`STANDING_TTL_SECONDS` of the last look reuses it; ``fresh``
    (every write) always looks again. The cache is small and simply emptied when full.
    """

    def __init__(self, lookup: StandingLookup, ttl_seconds: float = STANDING_TTL_SECONDS):
        self.lookup = lookup
        self.ttl_seconds = ttl_seconds
        self._seen: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, StaffStanding | None]] = {}

    def standing(self, principal: Principal, *, fresh: bool = False) -> StaffStanding | None:
        """The standing of the member ``principal`` names."""
        key = (principal.tenant_id, principal.staff_id)
        now = time.monotonic()
        if not fresh:
            seen = self._seen.get(key)
            if seen is not None and now - seen[0] < self.ttl_seconds:
                return seen[1]
        standing = self.lookup(*key)
        if len(self._seen) >= STANDING_CACHE_SIZE:
            self._seen.clear()
        self._seen[key] = (now, standing)
        return standing


def current_principal() -> Principal:
    """The authenticated caller of this request (verified once, then cached)."""
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("A Bearer access token is required.")
        verified = verified_token(current_app.config["JWT_SECRET"], token.strip())
        standings: StandingCache | None = current_app.extensions.get("staff_standing")
        standing = None
        if standings is not None:
            fresh = request.method not in SAFE_METHODS
            standing = standings.standing(verified.principal, fresh=fresh)
        g.principal = admit(verified, standing)
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
