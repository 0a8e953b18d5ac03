"""Wire the plans service: its tables, handlers and API on the shared runtime."""

from __future__ import annotations

from flask import Flask

from services.plans import api, caseload_api, fhir, handlers, limits, models, reports
from services.plans.scheduler import PlansScheduler
from shared.config import Settings
from shared.db.staff_access import standing_reader
from shared.processes import STANDARD_PROCESS_TYPES, background_process
from shared.runtime import ServiceRuntime
from shared.service import Service


def blueprints():
    return (
        *api.blueprints(),
        caseload_api.caseload_routes,
        *reports.blueprints(),
        *fhir.blueprints(),
    )


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime.of_service(
        "plans",
        settings,
        models,
        handlers=handlers.HANDLERS,
        blueprints=blueprints,
        staff_standing=standing_reader(models.StaffAccess),
        description="Recovery plans, goals, actions and check-ins.\n\n" + limits.documented(),
    )


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory for gunicorn: ``services.plans.bootstrap:create_app()``."""
    return build_runtime(settings).create_app()


def _run_scheduler(runtime: ServiceRuntime, stop) -> None:
    PlansScheduler(runtime).run_until(stop)


SERVICE = Service(
    name="plans",
    build_runtime=build_runtime,
    app_factory="services.plans.bootstrap:create_app()",
    handlers=handlers.HANDLERS,
    publishes=(
        "plan.created",
        "plan.activated",
        "plan.completed",
        "plan.review_due",
        "plan.mood_prompts_set",
        "plan.escalation_set",
        "goal.created",
        "goal.updated",
        "goal.achieved",
        "action.scheduled",
        "action.rescheduled",
        "action.completed",
        "action.cancelled",
        "checkin.scheduled",
        "checkin.rescheduled",
        "checkin.cancelled",
        "checkin.recorded",
        "checkin.missed",
        "client.risk_flagged",
        "client.risk_acknowledged",
    ),
    process_types=(
        *STANDARD_PROCESS_TYPES,
        background_process(
            "scheduler",
            "time-based work: reviews due, missed check-ins, the steps' horizon",
            _run_scheduler,
        ),
    ),
)
