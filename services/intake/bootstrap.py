"""Wire the intake service: its tables, handlers and API on the shared runtime."""

from __future__ import annotations

from flask import Flask

from services.intake import api, fhir, handlers, models, staff
from shared.config import Settings
from shared.processes import STANDARD_PROCESS_TYPES
from shared.runtime import ServiceRuntime
from shared.service import Service


def blueprints():
    return (*api.blueprints(), *fhir.blueprints())


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime.of_service(
        "intake",
        settings,
        models,
        handlers=handlers.HANDLERS,
        blueprints=blueprints,
        staff_standing=staff.standing_of,
        description="Organisations, staff, clients, assessments and onboarding.",
    )


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory for gunicorn: ``services.intake.bootstrap:create_app()``."""
    return build_runtime(settings).create_app()


SERVICE = Service(
    name="intake",
    build_runtime=build_runtime,
    app_factory="services.intake.bootstrap:create_app()",
    handlers=handlers.HANDLERS,
    publishes=(
        "client.referred",
        "client.onboarded",
        "client.updated",
        "client.discharged",
        "client.erased",
        "staff.created",
        "staff.updated",
        "staff.access_changed",
    ),
    process_types=STANDARD_PROCESS_TYPES,
)
