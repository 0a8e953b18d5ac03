"""Consent to contact a client, per channel, as a history of grants and withdrawals.

The client row keeps the current state (``consent_email``, ``consent_sms``) for quick
reads and events; every change also leaves a :class:`ConsentRecord` saying when, by whom
and how.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from services.intake import audit
from services.intake.models import Client, ConsentRecord
from shared.db import UnitOfWork
from shared.errors import Unprocessable

STAFF_METHODS = ("form", "verbal")
CLIENT_METHODS = ("sms_keyword", "email_unsubscribe")
METHODS = STAFF_METHODS + CLIENT_METHODS
ADDRESS_OF = {"email": "email", "sms": "phone"}


def current(client: Client) -> dict[str, bool]:
    return {"email": client.consent_email, "sms": client.consent_sms}


def require_addresses(client: Client) -> None:
    """Consent to a channel needs somewhere to send to on that channel."""
    errors = {
        address: [f"{channel.upper()} consent needs {address}."]
        for channel, address in ADDRESS_OF.items()
        if current(client)[channel] and not getattr(client, address)
    }
    if errors:
        raise Unprocessable("Consent was given for a channel without an address.", errors=errors)


def change(
    uow: UnitOfWork,
    client: Client,
    channel: str,
    granted: bool,
    method: str,
    *,
    recorded_by: uuid.UUID | None,
    occurred_at: datetime | None = None,
    source_event_id: uuid.UUID | None = None,
) -> bool:
    """Record a grant or withdrawal; return whether the current state changed."""
    uow.session.add(
        ConsentRecord(
            id=uuid.uuid4(),
            tenant_id=client.tenant_id,
            client_id=client.id,
            channel=channel,
            granted=granted,
            method=method,
            recorded_by=recorded_by,
            source_event_id=source_event_id,
            occurred_at=occurred_at or uow.clock(),
        )
    )
    column = f"consent_{channel}"
    if getattr(client, column) == granted:
        return False
    setattr(client, column, granted)
    audit.record(
        uow, client, "consent_granted" if granted else "consent_withdrawn", [column], recorded_by
    )
    return True


def history(uow: UnitOfWork, client: Client) -> list[ConsentRecord]:
    return list(
        uow.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.client_id == client.id)
            .order_by(ConsentRecord.created_at, ConsentRecord.id)
        )
    )
