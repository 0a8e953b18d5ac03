"""Signed, expiring one-click unsubscribe tokens (RFC 8058) carried by every email."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "notifications.unsubscribe"
MAX_AGE_SECONDS = 60 * 24 * 3600


class TokenRefused(Exception):
    def __init__(self, why: str):
        super().__init__(why)
        self.why = why  # "expired" or "invalid"


@dataclass(frozen=True)
class UnsubscribeRequest:
    tenant_id: uuid.UUID
    client_id: uuid.UUID
    channel: str


@functools.lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def make_token(secret: str, tenant_id: uuid.UUID, client_id: uuid.UUID) -> str:
    return _serializer(secret).dumps({"t": str(tenant_id), "c": str(client_id), "ch": "email"})


def read_token(secret: str, token: str, max_age: int = MAX_AGE_SECONDS) -> UnsubscribeRequest:
    try:
        claims = _serializer(secret).loads(token, max_age=max_age)
        return UnsubscribeRequest(uuid.UUID(claims["t"]), uuid.UUID(claims["c"]), claims["ch"])
    except SignatureExpired as exc:
        raise TokenRefused("expired") from exc
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise TokenRefused("invalid") from exc


def unsubscribe_url(base_url: str, token: str) -> str:
    return f"{base_url}/unsubscribe/{token}"
