"""The events that announce what became of a nudge: ``notification.sent`` and
``notification.failed``, whether the dispatcher learnt it or the provider's delivery report.
"""

from __future__ import annotations

from services.notifications.models import Nudge
from services.notifications.wording.kinds import KINDS
from shared.db import UnitOfWork

# The states a nudge's outcome is announced in, and the event each announces.
ANNOUNCED_STATES = {"sent": "notification.sent", "failed": "notification.failed"}


def publish_outcome(uow: UnitOfWork, nudge: Nudge) -> None:
    """``notification.sent`` or ``notification.failed`` for a nudge that reached either."""
    event = outcome_event(
        state=nudge.state,
        nudge_id=nudge.id,
        client_id=nudge.client_id,
        kind=nudge.kind,
        channel=nudge.channel,
        reason=nudge.reason,
    )
    if event is not None:
        event_type, data = event
        uow.publish(event_type, nudge.tenant_id, data, aggregate_id=nudge.client_id)


def outcome_event(
    *, state: str, nudge_id, client_id, kind: str, channel, reason
) -> tuple[str, dict] | None:
    """The event a nudge's outcome announces, if any: ``notification.sent`` or
    ``notification.failed`` (for the kinds in the catalogue)."""
    event_type = ANNOUNCED_STATES.get(state)
    if event_type is None or kind not in KINDS or KINDS[kind].audience in ("number", "on_call"):
        return None
    return event_type, {
        "nudge_id": nudge_id,
        "client_id": client_id,
        "kind": kind,
        "channel": channel,
        "reason": reason,
    }
