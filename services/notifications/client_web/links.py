"""Signed, expiring links that let a client answer from an email: the "I did it" and 1-10
links (``/r/{token}``) and the link to the client's own page (``/me/{token}``).

Each purpose signs with its own salt, so a token made for one is refused by the other
(and by the unsubscribe page). A token carries its expiry, set from the service's clock
when the email is written: an email link lasts ``REPLY_LINK_DAYS``, the page link
``PAGE_LINK_DAYS``. What a link chooses (done, or a rating) is in the signed token, never
in a query string a scanner or a typo could change.

A link is also bound to the address it was sent to: it carries a keyed mark of that email
address (``address_mark``; keyed, because a token's claims can be read by anyone holding
it), and opens only while the client's current address has the same mark, so a link in
a mailbox the client has left stops working when their address changes. A link made for
a client with no email address (the mark of no address) works only while they still have
none. A token minted before links were bound has no mark and is refused as expired.

A link handed out from another link (the page link an answer link's page offers) carries
the same mark and expires no later than the link it came from: replaying an old answer
link can never extend access.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

REPLY_SALT = "notifications.reply-link"
PAGE_SALT = "notifications.client-page"
REPLY_LINK_DAYS = 7
PAGE_LINK_DAYS = 14
RATINGS = range(1, 11)
_REPLY_ID_NAMESPACE = uuid.UUID("0b7f6a52-3c1e-4a8e-9d6f-8a1c5e2d4b73")


class LinkRefused(Exception):
    def __init__(self, why: str):
        super().__init__(why)
        self.why = why  # "expired" or "invalid"


def address_mark(secret: str, email: str | None) -> str:
    """A short keyed mark of an email address (case and spaces aside): the same address
    always has the same mark, and the mark does not give the address away. No address
    has the empty mark."""
    if not email or not email.strip():
        return ""
    normalised = email.strip().casefold().encode()
    digest = hmac.new(secret.encode(), b"client-link-address:" + normalised, hashlib.sha256)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ReplyLink:
    """What an email link says: "I did it" for one occurrence, or a rating of 1-10, in
    answer to one nudge."""

    tenant_id: uuid.UUID
    client_id: uuid.UUID
    nudge_id: uuid.UUID
    intent: str  # "done" or "mood"
    action_id: uuid.UUID | None = None
    occurrence_key: str | None = None
    rating: int | None = None
    expires_at: int = 0  # POSIX seconds
    mark: str = ""  # the address_mark of the address it was sent to

    @property
    def reply_id(self) -> uuid.UUID:
        """The same link is always the same reply: a second POST records nothing. "I did
        it" is the occurrence's own done (the same from the email and from the page)."""
        if self.intent == "done":
            return done_reply_id(self.tenant_id, self.action_id, self.occurrence_key)
        return reply_id_for("reply-link", self.nudge_id, f"rating:{self.rating}")


@dataclass(frozen=True)
class PageLink:
    tenant_id: uuid.UUID
    client_id: uuid.UUID
    expires_at: int = 0  # POSIX seconds
    mark: str = ""  # the address_mark of the address it was sent to


def still_addressed(secret: str, link: ReplyLink | PageLink, email: str | None) -> bool:
    """True while the client's current address is the one the link was sent to."""
    return hmac.compare_digest(link.mark, address_mark(secret, email))


def reply_id_for(purpose: str, *parts: object) -> uuid.UUID:
    """A reply's idempotency key from what identifies it (purpose, nudge or form, choice)."""
    return uuid.uuid5(_REPLY_ID_NAMESPACE, ":".join([purpose, *(str(p) for p in parts)]))


@functools.lru_cache(maxsize=8)
def _serializer(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)


def _expiry(now: datetime, days: int, not_after: int | None = None) -> int:
    expiry = int((now + timedelta(days=days)).timestamp())
    return expiry if not_after is None else min(expiry, not_after)


def _claims(secret: str, salt: str, token: str, now: datetime) -> dict:
    try:
        claims = _serializer(secret, salt).loads(token)
    except BadSignature as exc:
        raise LinkRefused("invalid") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("e"), int):
        raise LinkRefused("invalid")
    if claims["e"] < now.timestamp():
        raise LinkRefused("expired")
    if not isinstance(claims.get("m"), str):
        raise LinkRefused("expired")  # minted before links were bound to an address
    return claims


def done_reply_id(tenant_id: uuid.UUID, action_id: uuid.UUID, occurrence_key: str | None):
    """One occurrence is done once, whichever link or button said so."""
    return reply_id_for("done", tenant_id, action_id, occurrence_key)


# -- the email links ------------------------------------------------------------------------


def done_token(
    secret: str,
    now: datetime,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    nudge_id: uuid.UUID,
    action_id: uuid.UUID,
    occurrence_key: str | None,
    *,
    email: str | None,
) -> str:
    """An "I did it" link, for the email sent to ``email``."""
    claims = {"t": str(tenant_id), "c": str(client_id), "n": str(nudge_id), "i": "done"}
    claims |= {"a": str(action_id), "o": occurrence_key, "e": _expiry(now, REPLY_LINK_DAYS)}
    claims["m"] = address_mark(secret, email)
    return _serializer(secret, REPLY_SALT).dumps(claims)


def rating_token(
    secret: str,
    now: datetime,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    nudge_id: uuid.UUID,
    rating: int,
    *,
    email: str | None,
) -> str:
    """A 1-10 link, for the email sent to ``email``."""
    claims = {"t": str(tenant_id), "c": str(client_id), "n": str(nudge_id), "i": "mood"}
    claims |= {"r": rating, "e": _expiry(now, REPLY_LINK_DAYS)}
    claims["m"] = address_mark(secret, email)
    return _serializer(secret, REPLY_SALT).dumps(claims)


def read_reply_link(secret: str, token: str, now: datetime) -> ReplyLink:
    claims = _claims(secret, REPLY_SALT, token, now)
    try:
        link = ReplyLink(
            uuid.UUID(claims["t"]),
            uuid.UUID(claims["c"]),
            uuid.UUID(claims["n"]),
            claims["i"],
            uuid.UUID(claims["a"]) if claims.get("a") else None,
            claims.get("o"),
            claims.get("r"),
            claims["e"],
            claims["m"],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LinkRefused("invalid") from exc
    done = link.intent == "done" and link.action_id is not None
    mood = link.intent == "mood" and link.rating in RATINGS
    if not (done or mood):
        raise LinkRefused("invalid")
    return link


def reply_url(base_url: str, token: str) -> str:
    return f"{base_url}/r/{token}"


# -- the client's own page ------------------------------------------------------------------


def page_token(
    secret: str, now: datetime, tenant_id: uuid.UUID, client_id: uuid.UUID, *, email: str | None
) -> str:
    """The link to the client's own page, for the email sent to ``email``."""
    return _page_token(
        secret, tenant_id, client_id, address_mark(secret, email), _expiry(now, PAGE_LINK_DAYS)
    )


def page_token_from(secret: str, now: datetime, parent: ReplyLink) -> str:
    """The page link an answer link's page offers: for the same client and address, and
    expiring no later than ``parent`` (so replaying an old link never extends access)."""
    expiry = _expiry(now, PAGE_LINK_DAYS, not_after=parent.expires_at)
    return _page_token(secret, parent.tenant_id, parent.client_id, parent.mark, expiry)


def _page_token(
    secret: str, tenant_id: uuid.UUID, client_id: uuid.UUID, mark: str, expiry: int
) -> str:
    claims = {"t": str(tenant_id), "c": str(client_id), "m": mark, "e": expiry}
    return _serializer(secret, PAGE_SALT).dumps(claims)


def read_page_link(secret: str, token: str, now: datetime) -> PageLink:
    claims = _claims(secret, PAGE_SALT, token, now)
    try:
        return PageLink(uuid.UUID(claims["t"]), uuid.UUID(claims["c"]), claims["e"], claims["m"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LinkRefused("invalid") from exc


def page_url(base_url: str, token: str) -> str:
    return f"{base_url}/me/{token}"


# -- what the dispatcher adds to an email ----------------------------------------------------


def email_link_variables(
    secret: str,
    base_url: str,
    now: datetime,
    *,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    nudge_id: uuid.UUID,
    kind: str,
    subject_id: uuid.UUID | None,
    subject_occurrence: str | None,
    email: str | None,
) -> dict:
    """The link variables of an email to a client at ``email``: ``my_page_url`` always,
    ``done_url`` for an action reminder, ``rating_urls`` (ten links, for 1 to 10) for a
    mood prompt. Every link opens only while ``email`` is the client's address."""
    page = page_token(secret, now, tenant_id, client_id, email=email)
    variables = {"my_page_url": page_url(base_url, page)}
    if kind == "action_reminder" and subject_id is not None:
        token = done_token(
            secret,
            now,
            tenant_id,
            client_id,
            nudge_id,
            subject_id,
            subject_occurrence,
            email=email,
        )
        variables["done_url"] = reply_url(base_url, token)
    elif kind == "mood_prompt":
        variables["rating_urls"] = [
            reply_url(
                base_url,
                rating_token(secret, now, tenant_id, client_id, nudge_id, r, email=email),
            )
            for r in RATINGS
        ]
    return variables
