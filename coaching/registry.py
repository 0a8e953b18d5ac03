"""The services of the system and every process they run: the one list.

The common package names no service: the services' names, their ports, the variables
naming their databases, who subscribes to what (each service's handler table) and who
produces what reach it from here, as :func:`load_settings`'s settings.

``make run``'s process table, the Procfile, ``docker-compose.yml``, the Kubernetes
manifests and the tests' roles are all derived from or checked against
:func:`process_table`.
"""

from __future__ import annotations

import sys

from services.intake.bootstrap import SERVICE as INTAKE
from services.notifications.bootstrap import SERVICE as NOTIFICATIONS
from services.plans.bootstrap import SERVICE as PLANS
from shared import config
from shared.config import ServiceConfig, Settings
from shared.service import ProcessType, Service

SERVICES: dict[str, Service] = {service.name: service for service in (INTAKE, PLANS, NOTIFICATIONS)}
# Each API's port when ``<SERVICE>_PORT`` is unset.
DEFAULT_PORTS = {"intake": 8001, "plans": 8002, "notifications": 8003}
# The service whose address ``PUBLIC_BASE_URL`` defaults to: the pages and links clients open.
PUBLIC_PAGES = "notifications"
assert set(DEFAULT_PORTS) == set(SERVICES), "every service has its port"
REQUIRED_IN_PRODUCTION = config.required_in_production(SERVICES)


def service_configs() -> tuple[ServiceConfig, ...]:
    """What the settings are told of each service: its port, its queue's bindings."""
    return tuple(
        ServiceConfig(
            name=name,
            port=DEFAULT_PORTS[name],
            subscriptions=each.subscriptions,
            serves_public_pages=name == PUBLIC_PAGES,
        )
        for name, each in SERVICES.items()
    )


def load_settings() -> Settings:
    """The settings of a process of this system (``shared.config.load_settings`` told
    of every service)."""
    return config.load_settings(service_configs())


def producers() -> dict[str, str]:
    """Each event type -> the service that publishes it."""
    return {event: each.name for each in SERVICES.values() for event in each.publishes}


def service(name: str) -> Service:
    """The service called ``name``; ``KeyError`` if there is none."""
    return SERVICES[name]


def process_types() -> dict[str, list[Service]]:
    """Each process type's name -> the services that run one, in order."""
    kinds: dict[str, list[Service]] = {}
    for each in SERVICES.values():
        for process in each.process_types:
            kinds.setdefault(process.name, []).append(each)
    return kinds


def processes() -> dict[str, tuple[Service, ProcessType]]:
    """Every process of the system, by its name (``plans-scheduler``)."""
    return {
        f"{each.name}-{process.name}": (each, process)
        for each in SERVICES.values()
        for process in each.process_types
    }


def coaching_arguments(service_name: str, process_name: str) -> list[str]:
    """The ``coaching`` command's arguments that start one process (``api intake``)."""
    return [process_name, service_name]


def process_table(python: str = sys.executable) -> dict[str, list[str]]:
    """Every process of the system: name -> argv (``python -m coaching api intake``)."""
    return {
        name: [python, "-m", "coaching", *coaching_arguments(each.name, process.name)]
        for name, (each, process) in processes().items()
    }
