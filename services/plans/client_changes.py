"""A client changed in intake (``client.updated``): their plans follow the client's coach
and timezone, and recurring steps keep their local time where the client now lives."""

from __future__ import annotations

from services.plans import actions, history, profiles
from services.plans.client_plans import plans_of_client
from shared.db import UnitOfWork
from shared.events import Event


def follow_client(uow: UnitOfWork, event: Event) -> None:
    """Follow the client's coach and timezone (recurring steps keep their local time)."""
    data = event.data
    profiles.remember_client(uow, event)
    for plan in plans_of_client(uow, event):
        previous_timezone = plan.timezone
        changes = {"timezone": data.contact.timezone}
        if data.coach_id:
            changes["coach_id"] = data.coach_id
        diff = history.apply_changes(plan, changes)
        if diff:
            history.record(uow.session, plan, None, "plan", plan.id, "client_updated", diff)
        if "timezone" in diff:
            actions.follow_timezone(uow, plan, previous_timezone, event.occurred_at)
