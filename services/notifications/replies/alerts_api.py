"""``/v1/alerts``: crisis alerts and who owns them. An org admin sees the organisation's,
a coach those of their own clients (anyone else's alert is a 404); either acknowledges an
open alert and resolves an acknowledged one with a short note."""

from __future__ import annotations

import uuid

from services.notifications import schemas
from services.notifications.replies import use_cases
from shared.use_case import as_caller
from shared.web.endpoints import STAFF, ApiBlueprint

crisis_alerts = ApiBlueprint(
    "crisis_alerts",
    __name__,
    roles=STAFF,
    description="Crisis alerts: open until someone acknowledges them, then resolved",
)


@crisis_alerts.get(
    "/alerts", query=schemas.AlertQuerySchema, response=schemas.CrisisAlertPageSchema
)
def list_alerts(query):
    """Crisis alerts you may see, oldest first (``?state=open``: nobody has acknowledged
    them yet)."""
    return as_caller(use_cases.list_alerts, query)


@crisis_alerts.get("/alerts/<uuid:alert_id>", response=schemas.CrisisAlertSchema)
def get_alert(alert_id: uuid.UUID):
    """One crisis alert: its state, who acknowledged and resolved it, and when."""
    return as_caller(use_cases.crisis_alert_of, alert_id)


@crisis_alerts.post(
    "/alerts/<uuid:alert_id>/acknowledge", response=schemas.CrisisAlertSchema, errors=(409,)
)
def acknowledge_alert(alert_id: uuid.UUID):
    """You own the alert now: no more escalation to the on-call list. 409 unless open."""
    return as_caller(use_cases.acknowledge_alert, alert_id)


@crisis_alerts.post(
    "/alerts/<uuid:alert_id>/resolve",
    body=schemas.ResolveAlertSchema,
    response=schemas.CrisisAlertSchema,
    errors=(409,),
)
def resolve_alert(body, alert_id: uuid.UUID):
    """How it ended, in a short note (health data: never logged). 409 unless acknowledged."""
    return as_caller(use_cases.resolve_alert, alert_id, body)
