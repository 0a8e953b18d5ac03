"""Plans' HTTP API: recovery plans, goals, action steps, check-ins, progress, settings.

Every view parses, runs one use case (``use_cases``: it opens the unit of work, scopes by
the caller, changes state through the domain modules and commits) and renders, with an
``ETag`` where the resource can be updated.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm.exc import StaleDataError

from services.plans import schemas, scoping, use_cases
from shared.auth import current_principal
from shared.errors import PreconditionFailed
from shared.localtime import WEEKDAYS
from shared.pagination import PageQuerySchema
from shared.runtime import current_runtime
from shared.use_case import as_caller
from shared.web.endpoints import ADMIN, STAFF, ApiBlueprint
from shared.web.etag import etag_of, if_match, tagged
from shared.web.problems import handle_domain_error


def _blueprint(name: str, description: str) -> ApiBlueprint:
    return ApiBlueprint(name, __name__, roles=STAFF, description=description)


plans = _blueprint("plans", "Recovery plans")
goals = _blueprint("goals", "Goals of a plan")
action_steps = _blueprint("actions", "Action steps")
checkin_routes = _blueprint("checkins", "Check-ins")
org_settings = _blueprint("settings", "Per-organisation settings of plans")


def _stale(_error):
    return handle_domain_error(
        PreconditionFailed("The resource changed while you were writing; fetch it and retry.")
    )


for _routes in (plans, goals, action_steps, checkin_routes, org_settings):
    _routes.register_error_handler(StaleDataError, _stale)


# -- plans --------------------------------------------------------------------------------


@plans.get("/plans", query=schemas.PlanQuerySchema, response=schemas.PlanPageSchema)
def list_plans(query):
    """Plans of a client: the draft appears after onboarding (coaches see their own)."""
    return as_caller(use_cases.list_plans, query)


@plans.get("/plans/<uuid:plan_id>", response=schemas.PlanSchema)
def get_plan(plan_id: uuid.UUID):
    """One recovery plan with its goals."""
    principal = current_principal()
    plan = current_runtime().read(lambda db: scoping.read_plan(db, principal, plan_id))
    return plan, 200, {"ETag": etag_of(plan["id"], plan["version"])}


@plans.patch(
    "/plans/<uuid:plan_id>",
    body=schemas.PlanUpdateSchema,
    response=schemas.PlanSchema,
    if_match=True,
    errors=(409,),
)
def update_plan(body, plan_id: uuid.UUID):
    """Move the plan along draft → active ⇄ under_review → completed; clear a risk flag."""
    return tagged(as_caller(use_cases.update_plan, plan_id, body, if_match=if_match()))


@plans.put(
    "/plans/<uuid:plan_id>/mood-prompts",
    body=schemas.MoodPromptsSchema,
    response=schemas.MoodPromptsViewSchema,
    if_match=True,
    errors=(409,),
)
def put_mood_prompts(body, plan_id: uuid.UUID):
    """Ask the client how they feel (1-10, by SMS or email) on these local weekdays at
    this local time; ``null`` stops. Only for an active plan or one under review (409
    otherwise). Honours ``If-Match`` with the plan's ``ETag``."""
    plan = as_caller(
        use_cases.set_mood_prompts,
        plan_id,
        body["weekdays"],
        body["local_time"],
        if_match=if_match(),
    )
    return tagged(plan, plan.mood_prompts or {"weekdays": None, "local_time": None})


@plans.put(
    "/plans/<uuid:plan_id>/escalation",
    body=schemas.EscalationSchema,
    response=schemas.EscalationViewSchema,
    if_match=True,
    errors=(409,),
)
def put_escalation(body, plan_id: uuid.UUID):
    """When an unanswered self check-in reminds the client, and after how many missed in a
    row and how long it tells their supporters (``missed_checkins``). Fields left out keep
    the plan's value, else the organisation's default (``/v1/settings``). Honours
    ``If-Match`` with the plan's ``ETag``; 409 for a completed plan."""
    plan, view = as_caller(use_cases.set_escalation, plan_id, body, if_match=if_match())
    return tagged(plan, view)


@plans.get(
    "/plans/<uuid:plan_id>/history", query=PageQuerySchema, response=schemas.RevisionPageSchema
)
def plan_history(query, plan_id: uuid.UUID):
    """Every revision of the plan, oldest first: who changed what, when."""
    return as_caller(use_cases.plan_history, plan_id, query)


@plans.get("/plans/<uuid:plan_id>/timeline", response=schemas.TimelineSchema)
def plan_timeline(plan_id: uuid.UUID):
    """The plan's revisions, the nudges sent (or not) to its client and the client's
    replies, newest first."""
    return as_caller(use_cases.plan_timeline, plan_id)


@plans.get(
    "/plans/<uuid:plan_id>/journal", query=PageQuerySchema, response=schemas.JournalPageSchema
)
def plan_journal(query, plan_id: uuid.UUID):
    """The client's replies, newest first: moods, steps done, journal and crisis messages."""
    return as_caller(use_cases.plan_journal, plan_id, query)


@plans.get("/plans/<uuid:plan_id>/progress", response=schemas.ProgressSchema)
def plan_progress(plan_id: uuid.UUID):
    """Goals by status, weekly action completion, wellbeing trend, domain ratings."""
    return as_caller(use_cases.plan_progress, plan_id)


# -- goals --------------------------------------------------------------------------------


@goals.post(
    "/plans/<uuid:plan_id>/goals",
    body=schemas.GoalCreateSchema,
    response=schemas.GoalSchema,
    status=201,
)
def create_goal(body, plan_id: uuid.UUID):
    """Add a goal in a life domain (proposed unless said otherwise). Goals per plan are
    limited (the API's **Limits**): a 422 naming ``goals`` beyond."""
    return tagged(as_caller(use_cases.create_goal, plan_id, body), status=201)


@goals.get("/goals/<uuid:goal_id>", response=schemas.GoalSchema)
def get_goal(goal_id: uuid.UUID):
    """One goal."""
    return tagged(as_caller(use_cases.get_goal, goal_id))


@goals.patch(
    "/goals/<uuid:goal_id>",
    body=schemas.GoalUpdateSchema,
    response=schemas.GoalSchema,
    if_match=True,
    errors=(409,),
)
def update_goal(body, goal_id: uuid.UUID):
    """Edit a goal; status moves proposed → active ⇄ on_hold → achieved (or cancelled)."""
    return tagged(as_caller(use_cases.update_goal, goal_id, body, if_match=if_match()))


# -- action steps -------------------------------------------------------------------------


def _schedule_fields(body: dict) -> dict:
    fields = dict(body)
    if fields.get("weekdays") is not None:
        fields["weekdays"] = sorted({WEEKDAYS.index(day) for day in fields["weekdays"]})
    return fields


@action_steps.post(
    "/goals/<uuid:goal_id>/actions",
    body=schemas.ActionCreateSchema,
    response=schemas.ActionSchema,
    status=201,
)
def create_action(body, goal_id: uuid.UUID):
    """Add a one-off (``due_at``) or recurring (daily / weekly at a local time) step. Steps per
    goal are limited (the API's **Limits**): a 422 naming ``actions`` beyond."""
    step, view = as_caller(use_cases.create_action, goal_id, _schedule_fields(body))
    return tagged(step, view, 201)


@action_steps.get("/plans/<uuid:plan_id>/actions", response=schemas.ActionListSchema)
def list_actions(plan_id: uuid.UUID):
    """The plan's action steps with their occurrences; overdue ones are marked."""
    return {"items": as_caller(use_cases.list_actions, plan_id)}


@action_steps.get("/actions/<uuid:action_id>", response=schemas.ActionSchema)
def get_action(action_id: uuid.UUID):
    """One action step with its occurrences."""
    return tagged(*as_caller(use_cases.get_action, action_id))


@action_steps.patch(
    "/actions/<uuid:action_id>",
    body=schemas.ActionUpdateSchema,
    response=schemas.ActionSchema,
    if_match=True,
    errors=(409,),
)
def update_action(body, action_id: uuid.UUID):
    """Edit a step; a new schedule reschedules the whole step."""
    return tagged(
        *as_caller(use_cases.update_action, action_id, _schedule_fields(body), if_match=if_match())
    )


def _finish(action_id: uuid.UUID, key: str | None, outcome: str):
    return tagged(*as_caller(use_cases.finish_occurrence, action_id, key, outcome))


@action_steps.post(
    "/actions/<uuid:action_id>/complete",
    body=schemas.OccurrenceTargetSchema,
    response=schemas.ActionSchema,
)
def complete_action(body, action_id: uuid.UUID):
    """Complete one occurrence (``occurrence_key``), a one-off step, or a whole step."""
    return _finish(action_id, body["occurrence_key"], "completed")


@action_steps.post(
    "/actions/<uuid:action_id>/cancel",
    body=schemas.OccurrenceTargetSchema,
    response=schemas.ActionSchema,
)
def cancel_action(body, action_id: uuid.UUID):
    """Cancel one occurrence (``occurrence_key``), a one-off step, or a whole step."""
    return _finish(action_id, body["occurrence_key"], "cancelled")


@action_steps.post(
    "/actions/<uuid:action_id>/reschedule",
    body=schemas.OccurrenceRescheduleSchema,
    response=schemas.ActionSchema,
)
def reschedule_action(body, action_id: uuid.UUID):
    """Move one occurrence (or a one-off step) to another time."""
    return tagged(
        *as_caller(
            use_cases.reschedule_occurrence, action_id, body["occurrence_key"], body["due_at"]
        )
    )


# -- check-ins ----------------------------------------------------------------------------


@checkin_routes.post(
    "/plans/<uuid:plan_id>/checkins",
    body=schemas.CheckInCreateSchema,
    response=schemas.CheckInSchema,
    status=201,
)
def schedule_checkin(body, plan_id: uuid.UUID):
    """Schedule a check-in: time, duration and mode (in person, phone, video). Check-ins
    per plan are limited (the API's **Limits**): a 422 naming ``checkins`` beyond."""
    return tagged(as_caller(use_cases.schedule_checkin, plan_id, body), status=201)


@checkin_routes.get("/plans/<uuid:plan_id>/checkins", response=schemas.CheckInListSchema)
def list_checkins(plan_id: uuid.UUID):
    """The plan's check-ins in time order."""
    return {"items": as_caller(use_cases.list_checkins, plan_id)}


@checkin_routes.get("/checkins/<uuid:checkin_id>", response=schemas.CheckInSchema)
def get_checkin(checkin_id: uuid.UUID):
    """One check-in with its progress notes."""
    return tagged(as_caller(use_cases.get_checkin, checkin_id))


@checkin_routes.post(
    "/checkins/<uuid:checkin_id>/record",
    body=schemas.CheckInRecordSchema,
    response=schemas.CheckInSchema,
    if_match=True,
)
def record_checkin(body, checkin_id: uuid.UUID):
    """Record attendance, wellbeing 1-10 and progress notes (notes never leave plans)."""
    return tagged(as_caller(use_cases.record_checkin, checkin_id, body, if_match=if_match()))


@checkin_routes.post(
    "/checkins/<uuid:checkin_id>/reschedule",
    body=schemas.CheckInRescheduleSchema,
    response=schemas.CheckInSchema,
    if_match=True,
)
def reschedule_checkin(body, checkin_id: uuid.UUID):
    """Move a scheduled check-in (and optionally change its duration or mode)."""
    return tagged(as_caller(use_cases.reschedule_checkin, checkin_id, body, if_match=if_match()))


@checkin_routes.post(
    "/checkins/<uuid:checkin_id>/cancel", response=schemas.CheckInSchema, if_match=True
)
def cancel_checkin(checkin_id: uuid.UUID):
    """Cancel a scheduled check-in."""
    return tagged(as_caller(use_cases.cancel_checkin, checkin_id, if_match=if_match()))


# -- settings -----------------------------------------------------------------------------


@org_settings.get("/settings", response=schemas.OrganisationSettingsSchema)
def get_settings():
    """Review interval (weeks) and when an unrecorded check-in counts as missed."""
    return _settings_answer(as_caller(use_cases.get_settings))


@org_settings.put(
    "/settings",
    roles=ADMIN,
    body=schemas.OrganisationSettingsSchema,
    response=schemas.OrganisationSettingsSchema,
    if_match=True,
)
def put_settings(body):
    """Set the organisation's plan settings (org admins)."""
    return _settings_answer(as_caller(use_cases.put_settings, body, if_match=if_match()))


def _settings_answer(current) -> tuple:
    return current, 200, {"ETag": etag_of(current_principal().tenant_id, current.version)}


def blueprints():
    return (plans, goals, action_steps, checkin_routes, org_settings)
