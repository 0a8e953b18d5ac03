"""Read what a service recorded in its outbox (the events it will publish)."""

from __future__ import annotations

import json

from sqlalchemy import select


def events(system, service: str, event_type: str | None = None) -> list[dict]:
    """Envelopes in ``service``'s outbox, oldest first, optionally of one type."""
    outbox = system.runtimes[service].outbox_model
    stmt = select(outbox).order_by(outbox.id)
    if event_type:
        stmt = stmt.where(outbox.routing_key == event_type)
    with system.runtimes[service].session_factory() as session:
        return [json.loads(row.body) for row in session.scalars(stmt)]
