"""The audit trail of a client: who changed which fields, when; never the values."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.intake.models import Client, ClientAuditEntry
from shared.db import UnitOfWork


def record(
    uow: UnitOfWork,
    client: Client,
    action: str,
    fields: list[str] | tuple[str, ...] = (),
    actor_id: uuid.UUID | None = None,
) -> None:
    uow.session.add(
        ClientAuditEntry(
            id=uuid.uuid4(),
            tenant_id=client.tenant_id,
            client_id=client.id,
            action=action,
            fields=sorted(fields),
            actor_id=actor_id,
        )
    )


def trail_query(client: Client):
    return select(ClientAuditEntry).where(
        ClientAuditEntry.client_id == client.id, ClientAuditEntry.tenant_id == client.tenant_id
    )
