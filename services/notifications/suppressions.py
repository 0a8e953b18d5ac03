"""The suppression list: addresses and numbers that asked us to stop, or bounced."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.orm import Session

from services.notifications.models import Suppression

REASONS = ("stop", "unsubscribe", "bounce")


def address_hash(tenant_id: uuid.UUID, channel: str, address: str) -> str:
    normalised = address.strip().lower()
    return hashlib.sha256(f"{tenant_id}:{channel}:{normalised}".encode()).hexdigest()


def suppression_of(
    session: Session, tenant_id: uuid.UUID, channel: str, address: str
) -> Suppression | None:
    return session.get(Suppression, (tenant_id, channel, address_hash(tenant_id, channel, address)))


def suppress(
    session: Session, tenant_id: uuid.UUID, channel: str, address: str, reason: str
) -> bool:
    """Add the address to the list; True when it was not there before."""
    if suppression_of(session, tenant_id, channel, address) is not None:
        return False
    session.add(
        Suppression(
            tenant_id=tenant_id,
            channel=channel,
            address_hash=address_hash(tenant_id, channel, address),
            reason=reason,
        )
    )
    session.flush()
    return True


def lift(session: Session, tenant_id: uuid.UUID, channel: str, address: str) -> bool:
    """Take the address off the list; True when it was on it."""
    existing = suppression_of(session, tenant_id, channel, address)
    if existing is None:
        return False
    session.delete(existing)
    session.flush()
    return True
