"""The plan's nudge timeline: each nudge notifications sent or failed to send to the client
(``notification.sent``, ``notification.failed``), shown beside the plan."""

from __future__ import annotations

import uuid

from services.plans.models import TimelineEntry
from shared.db import UnitOfWork
from shared.events import Event


def record_notification_outcome(uow: UnitOfWork, event: Event) -> None:
    """One timeline entry per outcome, under the event's own type."""
    data = event.data
    uow.session.add(
        TimelineEntry(
            id=uuid.uuid4(),
            tenant_id=event.tenant_id,
            client_id=data.client_id,
            event_type=event.type,
            nudge_id=data.nudge_id,
            kind=data.kind,
            channel=data.channel,
            reason=data.reason,
            occurred_at=event.occurred_at,
        )
    )
