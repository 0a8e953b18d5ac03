"""Events the supporters' work consumes: ``plan.escalation_set`` (the client's escalation
windows, ``escalation``) and ``goal.achieved`` (supporters with ``celebrations``,
``membership``)."""

from __future__ import annotations

from services.notifications.models import Contact
from services.notifications.supporters.escalation import on_escalation_set
from services.notifications.supporters.membership import tell_celebration
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import GoalV1

__all__ = ["on_escalation_set", "on_goal_achieved"]


def on_goal_achieved(event: Event[GoalV1], uow: UnitOfWork) -> None:
    contact = uow.session.get(Contact, (event.tenant_id, event.data.client_id))
    if contact is not None:
        tell_celebration(uow, contact, event.data.goal_id, uow.clock())
