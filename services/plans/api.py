"""Plans' HTTP API: recovery plans, goals, action steps, check-ins, progress, settings.

Every view scopes by the caller (``scoping``), changes state through the domain modules
inside one unit of work, and answers with an ``ETag`` where the resource can be updated.
"""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from services.plans import actions, checkins, history, lifecycle, mood_prompts, schemas, scoping
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
from services.plans.recurrence import WEEKDAYS, local_iso
from shared.auth import current_principal, requires_role
from shared.errors import PreconditionFailed, Unprocessable
from shared.pagination import paginate
from shared.runtime import current_runtime
from shared.web.etag import etag_of, require_fresh
from shared.web.idempotency import idempotent
from shared.web.problems import handle_domain_error
from shared.web.schemas import documents_errors

plans = Blueprint("plans", __name__, url_prefix="/v1", description="Recovery plans")
goals = Blueprint("goals", __name__, url_prefix="/v1", description="Goals of a plan")
action_steps = Blueprint("actions", __name__, url_prefix="/v1", description="Action steps")
checkin_routes = Blueprint("checkins", __name__, url_prefix="/v1", description="Check-ins")
org_settings = Blueprint(
    "settings", __name__, url_prefix="/v1", description="Per-organisation settings of plans"
)
STAFF = ("org_admin", "coach")


def _stale(_error):
    return handle_domain_error(
        PreconditionFailed("The resource changed while you were writing; fetch it and retry.")
    )


for _blueprint in (plans, goals, action_steps, checkin_routes, org_settings):
    _blueprint.register_error_handler(StaleDataError, _stale)


def _tagged(row, body=None, status: int = 200):
    return body if body is not None else row, status, {"ETag": etag_of(row.id, row.version)}


def _now():
    return current_runtime().clock()


# -- plans --------------------------------------------------------------------------------


@plans.get("/plans")
@requires_role(*STAFF)
@plans.arguments(schemas.PlanQuerySchema, location="query")
@plans.response(200, schemas.PlanPageSchema)
@documents_errors(plans, 400, 401, 403, 422)
def list_plans(query):
    """Plans of a client: the draft appears after onboarding (coaches see their own)."""
    stmt = scoping.scoped_plans(current_principal()).where(
        scoping.RecoveryPlan.client_id == query["client_id"]
    )
    with current_runtime().session_factory() as session:
        return paginate(session, stmt, scoping.RecoveryPlan, query["cursor"], query["limit"])


@plans.get("/plans/<uuid:plan_id>")
@requires_role(*STAFF)
@plans.response(200, schemas.PlanSchema)
@documents_errors(plans, 401, 403, 404)
def get_plan(plan_id: uuid.UUID):
    """One recovery plan with its goals."""
    principal = current_principal()
    plan = current_runtime().read(lambda db: scoping.read_plan(db, principal, plan_id))
    return plan, 200, {"ETag": etag_of(plan["id"], plan["version"])}


@plans.patch("/plans/<uuid:plan_id>")
@requires_role(*STAFF)
@plans.arguments(schemas.PlanUpdateSchema)
@plans.response(200, schemas.PlanSchema)
@documents_errors(plans, 400, 401, 403, 404, 409, 412, 422)
def update_plan(body, plan_id: uuid.UUID):
    """Move the plan along draft → active ⇄ under_review → completed; clear a risk flag."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        require_fresh(etag_of(plan.id, plan.version))
        diff = {}
        if "status" in body:
            diff |= lifecycle.change_plan_status(uow, plan, body["status"], principal, _now())
        if body.get("risk_flagged") is False:
            diff |= history.apply_changes(plan, {"risk_flagged": False, "risk_reason": None})
        if diff:
            history.record(uow.session, plan, principal, "plan", plan.id, "updated", diff)
        uow.commit()
        return _tagged(plan)


@plans.put("/plans/<uuid:plan_id>/mood-prompts")
@requires_role(*STAFF)
@plans.arguments(schemas.MoodPromptsSchema)
@plans.response(200, schemas.MoodPromptsViewSchema)
@documents_errors(plans, 400, 401, 403, 404, 409, 412, 422)
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
        return _tagged(plan, plan.mood_prompts or {"weekdays": None, "local_time": None})


@plans.get("/plans/<uuid:plan_id>/history")
@requires_role(*STAFF)
@plans.arguments(schemas.PageQuerySchema, location="query")
@plans.response(200, schemas.RevisionPageSchema)
@documents_errors(plans, 400, 401, 403, 404, 422)
def plan_history(query, plan_id: uuid.UUID):
    """Every revision of the plan, oldest first: who changed what, when."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        stmt = select(Revision).where(Revision.plan_id == plan.id)
        return paginate(session, stmt, Revision, query["cursor"], query["limit"])


@plans.get("/plans/<uuid:plan_id>/timeline")
@requires_role(*STAFF)
@plans.response(200, schemas.TimelineSchema)
@documents_errors(plans, 401, 403, 404)
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
    items = (
        [
            {
                "at": r.created_at,
                "type": "revision",
                "summary": f"{r.entity} {r.change}",
                "detail": {"actor": r.actor, "actor_id": history.plain(r.actor_id)},
            }
            for r in revisions
        ]
        + [
            {
                "at": n.occurred_at,
                "type": "nudge",
                "summary": f"{n.kind} {n.channel} {n.event_type.removeprefix('notification.')}",
                "detail": {"nudge_id": str(n.nudge_id), "reason": n.reason},
            }
            for n in nudges
        ]
        + [
            {
                "at": r.received_at,
                "type": "reply",
                "summary": f"client replied by {r.channel}: {r.intent}",
                "detail": {"reply_id": str(r.id), "rating": r.rating},
            }
            for r in replies
        ]
    )
    return {"items": sorted(items, key=lambda item: item["at"], reverse=True)}


@plans.get("/plans/<uuid:plan_id>/journal")
@requires_role(*STAFF)
@plans.arguments(schemas.PageQuerySchema, location="query")
@plans.response(200, schemas.JournalPageSchema)
@documents_errors(plans, 401, 403, 404, 422)
def plan_journal(query, plan_id: uuid.UUID):
    """The client's replies, newest first: moods, steps done, journal and crisis messages."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        stmt = select(JournalEntry).where(JournalEntry.plan_id == plan.id)
        return paginate(
            session,
            stmt,
            JournalEntry,
            query["cursor"],
            query["limit"],
            at=JournalEntry.received_at,
            newest_first=True,
        )


@plans.get("/plans/<uuid:plan_id>/progress")
@requires_role(*STAFF)
@plans.response(200, schemas.ProgressSchema)
@documents_errors(plans, 401, 403, 404)
def plan_progress(plan_id: uuid.UUID):
    """Goals by status, weekly action completion, wellbeing trend, domain ratings."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        return progress_of(session, plan, _now())


# -- goals --------------------------------------------------------------------------------


@goals.post("/plans/<uuid:plan_id>/goals")
@requires_role(*STAFF)
@idempotent
@goals.arguments(schemas.GoalCreateSchema)
@goals.response(201, schemas.GoalSchema)
@documents_errors(goals, 400, 401, 403, 404, 409, 422)
def create_goal(body, plan_id: uuid.UUID):
    """Add a goal in a life domain (proposed unless said otherwise)."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        goal = lifecycle.add_goal(uow, plan, body, principal)
        uow.commit()
        return _tagged(goal, status=201)


@goals.get("/goals/<uuid:goal_id>")
@requires_role(*STAFF)
@goals.response(200, schemas.GoalSchema)
@documents_errors(goals, 401, 403, 404)
def get_goal(goal_id: uuid.UUID):
    """One goal."""
    with current_runtime().session_factory() as session:
        goal, _plan = scoping.goal_for(session, current_principal(), goal_id)
        return _tagged(goal)


@goals.patch("/goals/<uuid:goal_id>")
@requires_role(*STAFF)
@goals.arguments(schemas.GoalUpdateSchema)
@goals.response(200, schemas.GoalSchema)
@documents_errors(goals, 400, 401, 403, 404, 409, 412, 422)
def update_goal(body, goal_id: uuid.UUID):
    """Edit a goal; status moves proposed → active ⇄ on_hold → achieved (or cancelled)."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        goal, plan = scoping.goal_for(uow.session, principal, goal_id)
        scoping.require_open(plan)
        require_fresh(etag_of(goal.id, goal.version))
        lifecycle.update_goal(uow, goal, plan, body, principal, _now())
        uow.commit()
        return _tagged(goal)


# -- action steps -------------------------------------------------------------------------


def _schedule_fields(body: dict) -> dict:
    fields = dict(body)
    if fields.get("weekdays") is not None:
        fields["weekdays"] = sorted({WEEKDAYS.index(day) for day in fields["weekdays"]})
    return fields


def _action_view(step: ActionStep, plan, now) -> dict:
    late = {o.id for o in actions.overdue(step, now)}
    return {
        "id": step.id,
        "goal_id": step.goal_id,
        "plan_id": step.plan_id,
        "title": step.title,
        "frequency": step.frequency,
        "due_at": step.due_at,
        "local_time": step.local_time,
        "weekdays": [WEEKDAYS[d] for d in step.weekdays] if step.weekdays else None,
        "start_date": step.start_date,
        "end_date": step.end_date,
        "timezone": plan.timezone,
        "reminder_lead_minutes": step.reminder_lead_minutes,
        "status": step.status,
        "overdue_count": len(late),
        "occurrences": [
            {
                "occurrence_key": o.occurrence_key,
                "due_at": o.due_at,
                "due_local": local_iso(o.due_at, plan.timezone),
                "status": o.status,
                "overdue": o.id in late,
                "completed_at": o.completed_at,
            }
            for o in sorted(step.occurrences, key=lambda o: o.due_at)
        ],
        "created_at": step.created_at,
    }


@action_steps.post("/goals/<uuid:goal_id>/actions")
@requires_role(*STAFF)
@idempotent
@action_steps.arguments(schemas.ActionCreateSchema)
@action_steps.response(201, schemas.ActionSchema)
@documents_errors(action_steps, 400, 401, 403, 404, 409, 422)
def create_action(body, goal_id: uuid.UUID):
    """Add a one-off (``due_at``) or recurring (daily / weekly at a local time) step."""
    principal = current_principal()
    now = _now()
    with current_runtime().unit_of_work() as uow:
        goal, plan = scoping.goal_for(uow.session, principal, goal_id)
        scoping.require_open(plan)
        step = actions.create_step(uow, plan, goal.id, _schedule_fields(body), principal, now)
        uow.commit()
        return _tagged(step, _action_view(step, plan, now), 201)


@action_steps.get("/plans/<uuid:plan_id>/actions")
@requires_role(*STAFF)
@action_steps.response(200, schemas.ActionListSchema)
@documents_errors(action_steps, 401, 403, 404)
def list_actions(plan_id: uuid.UUID):
    """The plan's action steps with their occurrences; overdue ones are marked."""
    now = _now()
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        steps = session.scalars(
            select(ActionStep).where(ActionStep.plan_id == plan.id).order_by(ActionStep.created_at)
        ).all()
        return {"items": [_action_view(step, plan, now) for step in steps]}


@action_steps.get("/actions/<uuid:action_id>")
@requires_role(*STAFF)
@action_steps.response(200, schemas.ActionSchema)
@documents_errors(action_steps, 401, 403, 404)
def get_action(action_id: uuid.UUID):
    """One action step with its occurrences."""
    with current_runtime().session_factory() as session:
        step, plan = scoping.action_for(session, current_principal(), action_id)
        return _tagged(step, _action_view(step, plan, _now()))


@action_steps.patch("/actions/<uuid:action_id>")
@requires_role(*STAFF)
@action_steps.arguments(schemas.ActionUpdateSchema)
@action_steps.response(200, schemas.ActionSchema)
@documents_errors(action_steps, 400, 401, 403, 404, 409, 412, 422)
def update_action(body, action_id: uuid.UUID):
    """Edit a step; a new schedule reschedules the whole step."""
    principal = current_principal()
    now = _now()
    with current_runtime().unit_of_work() as uow:
        step, plan = scoping.action_for(uow.session, principal, action_id)
        scoping.require_open(plan)
        require_fresh(etag_of(step.id, step.version))
        _check_schedule_kind(step, body)
        actions.update_step(uow, step, plan, _schedule_fields(body), principal, now)
        uow.commit()
        return _tagged(step, _action_view(step, plan, now))


def _check_schedule_kind(step: ActionStep, body: dict) -> None:
    recurring = ("local_time", "weekdays", "start_date", "end_date")
    if step.frequency == "once":
        wrong = [name for name in recurring if name in body]
    else:
        wrong = ["due_at"] if "due_at" in body else []
        if step.frequency == "daily" and "weekdays" in body:
            wrong.append("weekdays")
    if step.frequency == "once" and "due_at" in body and body["due_at"] is None:
        wrong.append("due_at")
    if wrong:
        raise Unprocessable(
            f"Not a field of a {step.frequency} step.",
            errors={name: [f"Not applicable to a {step.frequency} step."] for name in wrong},
        )


def _occurrence_view(action_id: uuid.UUID, change):
    principal = current_principal()
    now = _now()
    with current_runtime().unit_of_work() as uow:
        step, plan = scoping.action_for(uow.session, principal, action_id)
        scoping.require_open(plan)
        change(uow, step, plan, principal, now)
        uow.commit()
        return _tagged(step, _action_view(step, plan, now))


@action_steps.post("/actions/<uuid:action_id>/complete")
@requires_role(*STAFF)
@idempotent
@action_steps.arguments(schemas.OccurrenceTargetSchema)
@action_steps.response(200, schemas.ActionSchema)
@documents_errors(action_steps, 400, 401, 403, 404, 409, 422)
def complete_action(body, action_id: uuid.UUID):
    """Complete one occurrence (``occurrence_key``), a one-off step, or a whole step."""
    return _occurrence_view(
        action_id,
        lambda uow, step, plan, who, now: actions.finish_occurrence(
            uow, step, plan, body["occurrence_key"], "completed", who, now
        ),
    )


@action_steps.post("/actions/<uuid:action_id>/cancel")
@requires_role(*STAFF)
@idempotent
@action_steps.arguments(schemas.OccurrenceTargetSchema)
@action_steps.response(200, schemas.ActionSchema)
@documents_errors(action_steps, 400, 401, 403, 404, 409, 422)
def cancel_action(body, action_id: uuid.UUID):
    """Cancel one occurrence (``occurrence_key``), a one-off step, or a whole step."""
    return _occurrence_view(
        action_id,
        lambda uow, step, plan, who, now: actions.finish_occurrence(
            uow, step, plan, body["occurrence_key"], "cancelled", who, now
        ),
    )


@action_steps.post("/actions/<uuid:action_id>/reschedule")
@requires_role(*STAFF)
@idempotent
@action_steps.arguments(schemas.OccurrenceRescheduleSchema)
@action_steps.response(200, schemas.ActionSchema)
@documents_errors(action_steps, 400, 401, 403, 404, 409, 422)
def reschedule_action(body, action_id: uuid.UUID):
    """Move one occurrence (or a one-off step) to another time."""
    return _occurrence_view(
        action_id,
        lambda uow, step, plan, who, now: actions.reschedule_occurrence(
            uow, step, plan, body["occurrence_key"], body["due_at"], who
        ),
    )


# -- check-ins ----------------------------------------------------------------------------


@checkin_routes.post("/plans/<uuid:plan_id>/checkins")
@requires_role(*STAFF)
@idempotent
@checkin_routes.arguments(schemas.CheckInCreateSchema)
@checkin_routes.response(201, schemas.CheckInSchema)
@documents_errors(checkin_routes, 400, 401, 403, 404, 409, 422)
def schedule_checkin(body, plan_id: uuid.UUID):
    """Schedule a check-in: time, duration and mode (in person, phone, video)."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        plan = scoping.open_plan_for(uow.session, principal, plan_id)
        checkin = checkins.schedule(uow, plan, body, principal)
        uow.commit()
        return _tagged(checkin, status=201)


@checkin_routes.get("/plans/<uuid:plan_id>/checkins")
@requires_role(*STAFF)
@checkin_routes.response(200, schemas.CheckInListSchema)
@documents_errors(checkin_routes, 401, 403, 404)
def list_checkins(plan_id: uuid.UUID):
    """The plan's check-ins in time order."""
    with current_runtime().session_factory() as session:
        plan = scoping.plan_for(session, current_principal(), plan_id)
        rows = session.scalars(
            select(CheckIn).where(CheckIn.plan_id == plan.id).order_by(CheckIn.starts_at)
        ).all()
        return {"items": rows}


@checkin_routes.get("/checkins/<uuid:checkin_id>")
@requires_role(*STAFF)
@checkin_routes.response(200, schemas.CheckInSchema)
@documents_errors(checkin_routes, 401, 403, 404)
def get_checkin(checkin_id: uuid.UUID):
    """One check-in with its progress notes."""
    with current_runtime().session_factory() as session:
        checkin, _plan = scoping.checkin_for(session, current_principal(), checkin_id)
        return _tagged(checkin)


def _checkin_change(checkin_id: uuid.UUID, change):
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        checkin, plan = scoping.checkin_for(uow.session, principal, checkin_id)
        scoping.require_open(plan)
        require_fresh(etag_of(checkin.id, checkin.version))
        change(uow, checkin, plan, principal)
        uow.commit()
        return _tagged(checkin)


@checkin_routes.post("/checkins/<uuid:checkin_id>/record")
@requires_role(*STAFF)
@idempotent
@checkin_routes.arguments(schemas.CheckInRecordSchema)
@checkin_routes.response(200, schemas.CheckInSchema)
@documents_errors(checkin_routes, 400, 401, 403, 404, 409, 412, 422)
def record_checkin(body, checkin_id: uuid.UUID):
    """Record attendance, wellbeing 1-10 and progress notes (notes never leave plans)."""
    now = _now()
    return _checkin_change(
        checkin_id, lambda uow, c, plan, who: checkins.record(uow, c, plan, body, who, now)
    )


@checkin_routes.post("/checkins/<uuid:checkin_id>/reschedule")
@requires_role(*STAFF)
@idempotent
@checkin_routes.arguments(schemas.CheckInRescheduleSchema)
@checkin_routes.response(200, schemas.CheckInSchema)
@documents_errors(checkin_routes, 400, 401, 403, 404, 409, 412, 422)
def reschedule_checkin(body, checkin_id: uuid.UUID):
    """Move a scheduled check-in (and optionally change its duration or mode)."""
    return _checkin_change(
        checkin_id, lambda uow, c, plan, who: checkins.reschedule(uow, c, plan, body, who)
    )


@checkin_routes.post("/checkins/<uuid:checkin_id>/cancel")
@requires_role(*STAFF)
@idempotent
@checkin_routes.response(200, schemas.CheckInSchema)
@documents_errors(checkin_routes, 401, 403, 404, 409, 412)
def cancel_checkin(checkin_id: uuid.UUID):
    """Cancel a scheduled check-in."""
    return _checkin_change(checkin_id, lambda uow, c, plan, who: checkins.cancel(uow, c, plan, who))


# -- settings -----------------------------------------------------------------------------


@org_settings.get("/settings")
@requires_role(*STAFF)
@org_settings.response(200, schemas.OrganisationSettingsSchema)
@documents_errors(org_settings, 401, 403)
def get_settings():
    """Review interval (weeks) and when an unrecorded check-in counts as missed."""
    principal = current_principal()
    with current_runtime().session_factory() as session:
        current = settings_of(session, principal.tenant_id)
        return current, 200, {"ETag": etag_of(principal.tenant_id, current.version)}


@org_settings.put("/settings")
@requires_role("org_admin")
@org_settings.arguments(schemas.OrganisationSettingsSchema)
@org_settings.response(200, schemas.OrganisationSettingsSchema)
@documents_errors(org_settings, 400, 401, 403, 412, 422)
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
