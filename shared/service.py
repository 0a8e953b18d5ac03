"""What a service is made of, as its own ``bootstrap.py`` declares it.

A :class:`Service` names its runtime (tables, handlers, routes), the events it consumes
(the keys of its handler table: its queue is bound to those) and publishes, and the
process types it runs: the three every service has (:data:`shared.processes.STANDARD_PROCESS_TYPES`: api,
worker, relay) and any of its own (plans' scheduler, notifications' dispatcher). The
composition root, the top-level ``coaching`` package, lists the services and starts
their processes; the process table of ``make run``, the Procfile, the compose file and
the Kubernetes manifests are checked against these declarations. The common package
knows this shape and never a particular service.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shared.config import Settings

if TYPE_CHECKING:
    from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class ProcessType:
    """One kind of process of a service: ``coaching NAME SERVICE`` starts one."""

    name: str
    summary: str
    # Runs the process until it is told to stop (SIGTERM, Ctrl-C).
    start: Callable[[Service, Settings, argparse.Namespace], None]
    # Command-line options of its own (the api's ``--host``), if any.
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


@dataclass(frozen=True)
class Service:
    """A service as its bootstrap declares it: its runtime and its process types."""

    name: str
    build_runtime: Callable[[Settings | None], ServiceRuntime]
    # gunicorn's import path of the application factory, e.g.
    # ``services.plans.bootstrap:create_app()``.
    app_factory: str
    process_types: tuple[ProcessType, ...]
    # Its handler table (event type -> handler): what it consumes, declared once.
    handlers: Mapping[str, Callable] = field(default_factory=dict)
    # The event types it produces (``uow.publish``): each catalogued event has one producer.
    publishes: tuple[str, ...] = ()

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The event types its queue is bound to: its handler table's keys."""
        return tuple(sorted(self.handlers))

    def __post_init__(self) -> None:
        names = [process.name for process in self.process_types]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: a process type is declared twice: {names}")

    def process_type(self, name: str) -> ProcessType:
        """The process type called ``name``; ``KeyError`` if this service has none."""
        for process in self.process_types:
            if process.name == name:
                return process
        raise KeyError(f"{self.name} has no {name} process")
