"""Plans' HTTP API: recovery plans, goals, action steps, check-ins, progress, settings.

Every view scopes by the caller (``scoping``), changes state through the domain modules
inside one unit of work, and answers with an ``ETag`` where the resource can be updated.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from services.plans import (
    actions,
    checkins,
    history,
    lifecycle,
    mood_prompts,
    naming,
    schemas,
    scoping,
)
from services.plans.models import (
    ActionStep,
    CheckIn,
    JournalEntry,
    OrganisationSettings,
    Revision,
    TimelineEntry,
)
from services.plans.organisation_settings import settings_of
from services.plans.progress import progress_of
from services.plans.views import action_view, journal_entry_view, revision_view, timeline_view
from shared.auth import current_principal
from shared.errors import PreconditionFailed
from shared.localtime import WEEKDAYS
from shared.pagination import PageQuerySchema, paginate
from shared.runtime import current_runtime
from shared.web.endpoints import ADMIN, STAFF, ApiBlueprint
from shared.web.etag import etag_of, require_fresh, tagged
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


def _now():
    return current_runtime().clock()


# -- plans --------------------------------------------------------------------------------


@plans.get("/plans", query=schemas.PlanQuerySchema, response=schemas.PlanPageSchema)
def list_plans(query):
    """Plans of a client: the draft appears after onboarding (coaches see their own)."""
    stmt = scoping.scoped_plans(current_principal()).where(
        scoping.RecoveryPlan.client_id == query["client_id"]
    )
    with current_runtime().session_factory() as session:
        return paginate(session, stmt, scoping.RecoveryPlan, query)


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
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        require_fresh(etag_of(plan.id, plan.version))
        diff = {}
        if "status" in body:
            diff |= lifecycle.change_plan_status(uow, plan, body["status"], principal, _now())
        if body.get("risk_flagged") is False and plan.risk_flagged:
            uow.publish(
                "client.risk_acknowledged",
                plan.tenant_id,
                {
                    "plan_id": plan.id,
                    "client_id": plan.client_id,
                    "reason": plan.risk_reason,
                    "acknowledged_by": principal.staff_id,
                    "acknowledged_at": _now(),
                },
                aggregate_id=plan.id,
            )
            diff |= history.apply_changes(plan, {"risk_flagged": False, "risk_reason": None})
        if diff:  # dated on the clock: the report dates an acknowledgement by it
            history.record(
                uow.session, plan, principal, "plan", plan.id, "updated", diff, at=_now()
            )
        uow.commit()
        return tagged(plan)


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
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.plan_for(uow.session, principal, plan_id)
        require_fresh(etag_of(plan.id, plan.version))
        diff = mood_prompts.set_mood_prompts(uow, plan, body["weekdays"], body["local_time"])
        if diff:
            history.record(uow.session, plan, principal, "plan", plan.id, "updated", diff)
        uow.commit()
        return tagged(plan, plan.mood_prompts or {"weekdays": None, "local_time": None})


@plans.get(
    "/plans/<uuid:plan_id>/history", query=PageQuerySchema, response=schemas.RevisionPageSchema
)
def plan_history(query, plan_id: uuid.UUID):
    """Every revision of the plan, oldest first: who changed what, when."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        stmt = select(Revision).where(Revision.plan_id == plan.id)
        page = paginate(session, stmt, Revision, query)
        names = naming.staff_names(session, plan.tenant_id, (r.actor_id for r in page["items"]))
    page["items"] = [revision_view(r, names) for r in page["items"]]
    return page


@plans.get("/plans/<uuid:plan_id>/timeline", response=schemas.TimelineSchema)
def plan_timeline(plan_id: uuid.UUID):
    """The plan's revisions, the nudges sent (or not) to its client and the client's
    replies, newest first."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        revisions = session.scalars(
            select(Revision).where(Revision.plan_id == plan.id).order_by(Revision.created_at)
        ).all()
        nudges = session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.tenant_id == plan.tenant_id,
                TimelineEntry.client_id == plan.client_id,
            )
        ).all()
        replies = session.scalars(select(JournalEntry).where(JournalEntry.plan_id == plan.id)).all()
        names = naming.staff_names(session, plan.tenant_id, (r.actor_id for r in revisions))
    return timeline_view(revisions, nudges, replies, names)


@plans.get(
    "/plans/<uuid:plan_id>/journal", query=PageQuerySchema, response=schemas.JournalPageSchema
)
def plan_journal(query, plan_id: uuid.UUID):
    """The client's replies, newest first: moods, steps done, journal and crisis messages."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        stmt = select(JournalEntry).where(JournalEntry.plan_id == plan.id)
        page = paginate(
            session, stmt, JournalEntry, query, at=JournalEntry.received_at, newest_first=True
        )
        titles = naming.action_titles(session, plan.tenant_id, (e.action_id for e in page["items"]))
    page["items"] = [journal_entry_view(entry, titles) for entry in page["items"]]
    return page


@plans.get("/plans/<uuid:plan_id>/progress", response=schemas.ProgressSchema)
def plan_progress(plan_id: uuid.UUID):
    """Goals by status, weekly action completion, wellbeing trend, domain ratings."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        return progress_of(session, plan, _now())


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
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        goal = lifecycle.add_goal(uow, plan, body, principal)
        uow.commit()
        return tagged(goal, status=201)


@goals.get("/goals/<uuid:goal_id>", response=schemas.GoalSchema)
def get_goal(goal_id: uuid.UUID):
    """One goal."""
    with current_runtime().session_factory() as session:
        goal, _plan = scoping.goal_for(session, current_principal(), goal_id)
        return tagged(goal)


@goals.patch(
    "/goals/<uuid:goal_id>",
    body=schemas.GoalUpdateSchema,
    response=schemas.GoalSchema,
    if_match=True,
    errors=(409,),
)
def update_goal(body, goal_id: uuid.UUID):
    """Edit a goal; status moves proposed → active ⇄ on_hold → achieved (or cancelled)."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        goal, plan = scoping.goal_for(uow.session, principal, goal_id)
        scoping.require_open(plan)
        require_fresh(etag_of(goal.id, goal.version))
        lifecycle.update_goal(uow, goal, plan, body, principal, _now())
        uow.commit()
        return tagged(goal)


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
    principal = current_principal()
    now = _now()
    with current_runtime().unit_of_work() as uow:
        goal, plan = scoping.goal_for(uow.session, principal, goal_id)
        scoping.require_open(plan)
        step = actions.create_step(uow, plan, goal.id, _schedule_fields(body), principal, now)
        uow.commit()
        return tagged(step, action_view(step, plan, now), 201)


@action_steps.get("/plans/<uuid:plan_id>/actions", response=schemas.ActionListSchema)
def list_actions(plan_id: uuid.UUID):
    """The plan's action steps with their occurrences; overdue ones are marked."""
    now = _now()
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        steps = session.scalars(
            select(ActionStep).where(ActionStep.plan_id == plan.id).order_by(ActionStep.created_at)
        ).all()
        return {"items": [action_view(step, plan, now) for step in steps]}


@action_steps.get("/actions/<uuid:action_id>", response=schemas.ActionSchema)
def get_action(action_id: uuid.UUID):
    """One action step with its occurrences."""
    with current_runtime().session_factory() as session:
        step, plan = scoping.action_for(session, current_principal(), action_id)
        return tagged(step, action_view(step, plan, _now()))


@action_steps.patch(
    "/actions/<uuid:action_id>",
    body=schemas.ActionUpdateSchema,
    response=schemas.ActionSchema,
    if_match=True,
    errors=(409,),
)
def update_action(body, action_id: uuid.UUID):
    """Edit a step; a new schedule reschedules the whole step."""
    principal = current_principal()
    now = _now()
    with current_runtime().unit_of_work() as uow:
        step, plan = scoping.action_for(uow.session, principal, action_id)
        scoping.require_open(plan)
        require_fresh(etag_of(step.id, step.version))
        actions.check_schedule_kind(step.frequency, body)
        actions.update_step(uow, step, plan, _schedule_fields(body), principal, now)
        uow.commit()
        return tagged(step, action_view(step, plan, now))


def _occurrence_view(action_id: uuid.UUID, change):
    principal = current_principal()
    now = _now()
    with current_runtime().unit_of_work() as uow:
        step, plan = scoping.action_for(uow.session, principal, action_id)
        scoping.require_open(plan)
        change(uow, step, plan, principal, now)
        uow.commit()
        return tagged(step, action_view(step, plan, now))


def _finish(action_id: uuid.UUID, key: str | None, outcome: str):
    return _occurrence_view(
        action_id,
        lambda uow, step, plan, who, now: actions.finish_occurrence(
            uow, step, plan, key, outcome, who, now
        ),
    )


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
    return _occurrence_view(
        action_id,
        lambda uow, step, plan, who, now: actions.reschedule_occurrence(
            uow, step, plan, body["occurrence_key"], body["due_at"], who
        ),
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
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        checkin = checkins.schedule(uow, plan, body, principal)
        uow.commit()
        return tagged(checkin, status=201)


@checkin_routes.get("/plans/<uuid:plan_id>/checkins", response=schemas.CheckInListSchema)
def list_checkins(plan_id: uuid.UUID):
    """The plan's check-ins in time order."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        rows = session.scalars(
            select(CheckIn).where(CheckIn.plan_id == plan.id).order_by(CheckIn.starts_at)
        ).all()
        return {"items": rows}


@checkin_routes.get("/checkins/<uuid:checkin_id>", response=schemas.CheckInSchema)
def get_checkin(checkin_id: uuid.UUID):
    """One check-in with its progress notes."""
    with current_runtime().session_factory() as session:
        checkin, _plan = scoping.checkin_for(session, current_principal(), checkin_id)
        return tagged(checkin)


def _checkin_change(checkin_id: uuid.UUID, change):
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        checkin, plan = scoping.checkin_for(uow.session, principal, checkin_id)
        scoping.require_open(plan)
        require_fresh(etag_of(checkin.id, checkin.version))
        change(uow, checkin, plan, principal)
        uow.commit()
        return tagged(checkin)


@checkin_routes.post(
    "/checkins/<uuid:checkin_id>/record",
    body=schemas.CheckInRecordSchema,
    response=schemas.CheckInSchema,
    if_match=True,
)
def record_checkin(body, checkin_id: uuid.UUID):
    """Record attendance, wellbeing 1-10 and progress notes (notes never leave plans)."""
    now = _now()
    return _checkin_change(
        checkin_id, lambda uow, c, plan, who: checkins.record(uow, c, plan, body, who, now)
    )


@checkin_routes.post(
    "/checkins/<uuid:checkin_id>/reschedule",
    body=schemas.CheckInRescheduleSchema,
    response=schemas.CheckInSchema,
    if_match=True,
)
def reschedule_checkin(body, checkin_id: uuid.UUID):
    """Move a scheduled check-in (and optionally change its duration or mode)."""
    return _checkin_change(
        checkin_id, lambda uow, c, plan, who: checkins.reschedule(uow, c, plan, body, who)
    )


@checkin_routes.post(
    "/checkins/<uuid:checkin_id>/cancel", response=schemas.CheckInSchema, if_match=True
)
def cancel_checkin(checkin_id: uuid.UUID):
    """Cancel a scheduled check-in."""
    return _checkin_change(checkin_id, lambda uow, c, plan, who: checkins.cancel(uow, c, plan, who))


# -- settings -----------------------------------------------------------------------------


@org_settings.get("/settings", response=schemas.OrganisationSettingsSchema)
def get_settings():
    """Review interval (weeks) and when an unrecorded check-in counts as missed."""
    principal = current_principal()
    with current_runtime().session_factory() as session:
        current = settings_of(session, principal.tenant_id)
        return current, 200, {"ETag": etag_of(principal.tenant_id, current.version)}


@org_settings.put(
    "/settings",
    roles=ADMIN,
    body=schemas.OrganisationSettingsSchema,
    response=schemas.OrganisationSettingsSchema,
    if_match=True,
)
def put_settings(body):
    """Set the organisation's plan settings (org admins)."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        current = settings_of(uow.session, principal.tenant_id)
        require_fresh(etag_of(principal.tenant_id, current.version))
        if current.version == 0:
            current = OrganisationSettings(tenant_id=principal.tenant_id)
            uow.session.add(current)
        for name, value in body.items():
            setattr(current, name, value)
        uow.commit()
        return current, 200, {"ETag": etag_of(principal.tenant_id, current.version)}


def blueprints():
    return (plans, goals, action_steps, checkin_routes, org_settings)
