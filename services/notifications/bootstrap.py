"""Wire the notifications service: its tables, handlers and API on the shared runtime."""

from __future__ import annotations

import functools

from flask import Flask

from services.notifications import api, erasure, handlers, models
from services.notifications.channels import channels_from_settings
from services.notifications.channels.file_outbox import outbox_folder
from services.notifications.dispatcher import Dispatcher
from shared.config import Settings, load_settings
from shared.db.staff_access import standing_reader
from shared.processes import STANDARD_PROCESS_TYPES, background_process
from shared.runtime import ServiceRuntime
from shared.service import Service


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or load_settings()
    # Erasure also deletes the client's messages from the embedded channels' folder.
    erase = functools.partial(
        erasure.on_client_erased, local_outbox=outbox_folder(settings.var_dir)
    )
    return ServiceRuntime.of_service(
        "notifications",
        settings,
        models,
        handlers=handlers.HANDLERS | {"client.erased": erase},
        blueprints=api.blueprints,
        staff_standing=standing_reader(models.StaffAccess),
        description="Contacts, nudges and their delivery by email and SMS.",
    )


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory for gunicorn: ``services.notifications.bootstrap:create_app()``."""
    return build_runtime(settings).create_app()


def _send_nudges(runtime: ServiceRuntime, stop) -> None:
    # A transaction per outcome: the dispatcher retries a failed round itself, and a
    # ping before each would cost a round trip per nudge.
    runtime.ping_connections = False
    settings = runtime.settings
    Dispatcher(
        runtime,
        channels_from_settings(settings),
        more_channels=[
            channels_from_settings(settings) for _ in range(settings.dispatcher_connections - 1)
        ],
    ).run_forever(stop)


SERVICE = Service(
    name="notifications",
    build_runtime=build_runtime,
    app_factory="services.notifications.bootstrap:create_app()",
    handlers=handlers.HANDLERS,
    publishes=(
        "notification.sent",
        "notification.failed",
        "contact.opted_out",
        "contact.opted_in",
        "client.replied",
        "action.completion_withdrawn",
        "contact.phone_confirmed",
        "supporter.invited",
        "supporter.confirmed",
        "supporter.removed",
        "supporter.alerted",
        "supporter.all_clear",
        "crisis_alert.opened",
        "crisis_alert.acknowledged",
        "crisis_alert.resolved",
    ),
    process_types=(
        *STANDARD_PROCESS_TYPES,
        background_process("dispatcher", "sends due nudges by email and SMS", _send_nudges),
    ),
)
