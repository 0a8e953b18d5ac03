"""Wire the intake service: its tables, handlers and API on the shared runtime."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.intake import api, handlers, models, staff
from shared.config import Settings, load_settings
from shared.processes import STANDARD_PROCESS_TYPES
from shared.runtime import ServiceRuntime
from shared.service import Service


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime(
        name="intake",
        settings=settings or load_settings(),
        metadata=models.Base.metadata,
        outbox_model=models.Outbox,
        inbox_model=models.ProcessedEvent,
        idempotency_model=models.IdempotencyKey,
        migrations_dir=Path(__file__).parent / "migrations",
        handlers=handlers.HANDLERS,
        blueprints=api.blueprints,
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
    process_types=STANDARD_PROCESS_TYPES,
)
