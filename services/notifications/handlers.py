"""Events notifications consumes, and the domain functions that handle each (several run
in turn, in the event's one transaction)."""

from __future__ import annotations

from services.notifications import client_lifecycle, coach_alerts, contacts, erasure, plan_nudges
from services.notifications.digest import plan_projection, recurring_nudges
from services.notifications.supporters import handlers as supporter_handlers
from shared.messaging.inbox import subscriptions

# The plan projection (what the weekly digest and the client's page say) learns from
# plans' events too.
HANDLERS = subscriptions(
    ("client.referred", client_lifecycle.on_client_referred),
    ("client.onboarded", client_lifecycle.on_client_onboarded),
    ("client.updated", client_lifecycle.on_client_updated),
    ("client.discharged", client_lifecycle.on_client_discharged),
    ("client.erased", erasure.on_client_erased),
    ("staff.created", contacts.on_staff_changed),
    ("staff.updated", contacts.on_staff_changed),
    ("staff.access_changed", contacts.on_staff_access_changed),
    ("plan.activated", plan_nudges.on_plan_activated),
    ("plan.review_due", coach_alerts.on_review_due),
    ("plan.mood_prompts_set", recurring_nudges.on_mood_prompts_set),
    ("plan.escalation_set", supporter_handlers.on_escalation_set),
    ("goal.created", plan_projection.on_goal_changed),
    ("goal.updated", plan_projection.on_goal_changed),
    (
        "goal.achieved",
        plan_nudges.on_goal_achieved,
        plan_projection.on_goal_achieved,
        supporter_handlers.on_goal_achieved,
    ),
    ("action.scheduled", plan_nudges.on_action_scheduled, plan_projection.on_action_event),
    ("action.rescheduled", plan_nudges.on_action_rescheduled, plan_projection.on_action_event),
    ("action.completed", plan_nudges.on_action_closed, plan_projection.on_action_event),
    ("action.cancelled", plan_nudges.on_action_closed, plan_projection.on_action_event),
    ("checkin.scheduled", plan_nudges.on_checkin_scheduled, plan_projection.on_checkin_event),
    ("checkin.rescheduled", plan_nudges.on_checkin_rescheduled, plan_projection.on_checkin_event),
    ("checkin.recorded", plan_nudges.on_checkin_closed, plan_projection.on_checkin_event),
    ("checkin.cancelled", plan_nudges.on_checkin_closed, plan_projection.on_checkin_event),
    ("checkin.missed", plan_nudges.on_checkin_missed, plan_projection.on_checkin_event),
    ("client.risk_flagged", coach_alerts.on_risk_flagged),
    ("client.risk_acknowledged", coach_alerts.on_risk_acknowledged),
)
