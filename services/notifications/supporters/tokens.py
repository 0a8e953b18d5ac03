"""The signed token in every message to a supporter (``links`` opens its page): which
organisation and supporter, and until when."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from services.notifications.wording.defaults import SUPPORTER_KINDS

__all__ = ["SUPPORTER_KINDS", "BadSignature", "link_url", "read_token", "token_for"]

LINK_SALT = "supporter-link"
LINK_DAYS = 90


@functools.lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=LINK_SALT)


def token_for(secret: str, tenant_id, supporter_id, now: datetime) -> str:
    expires = int((now + timedelta(days=LINK_DAYS)).timestamp())
    return _serializer(secret).dumps({"t": str(tenant_id), "s": str(supporter_id), "e": expires})


def link_url(secret: str, base_url: str, nudge, now: datetime) -> str:
    """The link for a message to a supporter (the nudge's ``subject_id`` is the supporter)."""
    return f"{base_url}/supporters/{token_for(secret, nudge.tenant_id, nudge.subject_id, now)}"


def read_token(secret: str, token: str, now: datetime) -> tuple[uuid.UUID, uuid.UUID]:
    claims = _serializer(secret).loads(token)
    if not isinstance(claims, dict) or claims.get("e", 0) < now.timestamp():
        raise BadSignature("expired")
    return uuid.UUID(claims["t"]), uuid.UUID(claims["s"])
