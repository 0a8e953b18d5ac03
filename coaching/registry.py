"""The services of the system and every process they run: the one list.

``make run``'s process table, the Procfile, ``docker-compose.yml``, the Kubernetes
manifests and the tests' roles are all derived from or checked against
:func:`process_table`.
"""

from __future__ import annotations

import sys

from services.intake.bootstrap import SERVICE as INTAKE
from services.notifications.bootstrap import SERVICE as NOTIFICATIONS
from services.plans.bootstrap import SERVICE as PLANS
from shared.config import SERVICES as CONFIGURED
from shared.service import ProcessType, Service

SERVICES: dict[str, Service] = {service.name: service for service in (INTAKE, PLANS, NOTIFICATIONS)}
assert tuple(SERVICES) == CONFIGURED, "every service has its settings (shared.config)"


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
