"""Escalation of a missed self check-in, per plan: how long before the client is reminded,
how many prompts missed in a row and how long before their supporters are told.

Plans keeps the windows on the plan (the organisation's defaults, ``/v1/settings``, fill
what the coach leaves out) and announces each change (``plan.escalation_set``);
notifications does the reminding and the telling. Supporters' own events
(``supporter.invited`` ... ``supporter.all_clear``) go into the plan's history, as ids,
scopes and times: never a name, an address or a message.
"""

from __future__ import annotations

from services.plans import history
from services.plans.models import OrganisationSettings, RecoveryPlan
from shared.db import UnitOfWork
from shared.events import Event

FIELDS = ("client_reminder_after_minutes", "supporters_after_missed", "supporters_after_minutes")
DEFAULTS = {
    "client_reminder_after_minutes": 30,
    "supporters_after_missed": 1,
    "supporters_after_minutes": 120,
}
# Every window is at least a minute; the upper bounds keep an escalation meaningful.
BOUNDS = {
    "client_reminder_after_minutes": (1, 24 * 60),
    "supporters_after_missed": (1, 14),
    "supporters_after_minutes": (1, 7 * 24 * 60),
}
# Supporters' events, as the plan's history names them.
SUPPORTER_CHANGES = {
    "supporter.invited": "invited",
    "supporter.confirmed": "confirmed",
    "supporter.removed": "removed",
    "supporter.alerted": "alerted",
    "supporter.all_clear": "all_clear",
}


def organisation_defaults(settings: OrganisationSettings) -> dict:
    return {
        name: getattr(settings, f"escalation_{name}", None) or DEFAULTS[name] for name in FIELDS
    }


def escalation_view(plan: RecoveryPlan, settings: OrganisationSettings) -> dict:
    """The plan's windows, the organisation's defaults where the plan has none of its own."""
    defaults = organisation_defaults(settings)
    return {name: getattr(plan, f"escalation_{name}") or defaults[name] for name in FIELDS}


def set_escalation(
    uow: UnitOfWork, plan: RecoveryPlan, values: dict, settings: OrganisationSettings
) -> dict:
    """Set the plan's windows (those left out: as they are, else the organisation's
    defaults); announce a change. Returns the revision's diff."""
    current = escalation_view(plan, settings)
    wanted = {name: values.get(name) or current[name] for name in FIELDS}
    diff = history.apply_changes(plan, {f"escalation_{n}": v for n, v in wanted.items()})
    if diff:
        uow.publish(
            "plan.escalation_set",
            plan.tenant_id,
            {"plan_id": plan.id, "client_id": plan.client_id, **wanted},
            aggregate_id=plan.id,
        )
    return diff


def record_supporter_event(uow: UnitOfWork, event: Event, plans: list[RecoveryPlan]) -> None:
    """The client's supporters, in the history of each of their open plans."""
    data = event.data
    fields = {"at": data.at}
    for name in ("scopes", "scope", "by"):
        if hasattr(data, name):
            fields[name] = getattr(data, name)
    for plan in plans:
        if plan.status in ("draft", "active", "under_review"):
            history.record(
                uow.session,
                plan,
                None,
                "supporter",
                data.supporter_id,
                SUPPORTER_CHANGES[event.type],
                fields,
                at=event.occurred_at,
            )
