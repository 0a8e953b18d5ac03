"""The process types every service runs, and what each process does at start.

``api`` (gunicorn serving the service's application), ``worker`` (its event consumer)
and ``relay`` (its outbox publisher) are the same for every service, so they are
declared here once; a service adds its own (a scheduler, a dispatcher) in its
bootstrap with :func:`background_process`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from shared import liveness, metrics
from shared.config import Settings
from shared.logging import configure_logging
from shared.messaging.backlogs import OutboxBacklog, QueueDepths
from shared.messaging.topology import Topology
from shared.runtime import ServiceRuntime
from shared.service import ProcessType, Service


def stop_event() -> threading.Event:
    """An event set by SIGTERM or Ctrl-C: a process's loop runs until it is set."""
    stop = threading.Event()

    def _handle(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    return stop


def _fresh_metrics_folder() -> None:
    """gunicorn's workers write their samples into ``PROMETHEUS_MULTIPROC_DIR`` (shared by
    them, one API per folder): make it, and empty it of a previous run's files, whose
    workers are gone (a restarted container keeps its volumes)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def _start_api(service: Service, settings: Settings, options: argparse.Namespace) -> None:
    port = settings.ports[service.name]
    _fresh_metrics_folder()
    # The application reads its settings again in each gunicorn worker, knowing only its
    # own service: the public address it links to is handed down as this process knows it.
    os.environ["PUBLIC_BASE_URL"] = settings.public_base_url
    # gunicorn as a module of this interpreter: wherever the package is installed (an
    # image, a venv), its dependencies are beside it, whether or not a `gunicorn` script is.
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:shared.web.gunicorn_config",
            "--bind",
            f"{options.host}:{port}",
            # The process name, hence the `service` of every log line (shared.logging).
            "--name",
            f"{service.name}-api",
            service.app_factory,
        ],
    )


def _api_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("API_HOST", "127.0.0.1"))


def _start_loop(name: str, settings: Settings) -> None:
    """What every process but the API does first: JSON logs and its heartbeat."""
    configure_logging(name, settings.log_level)
    liveness.HEARTBEAT.start(liveness.heartbeat_file(settings.var_dir, name))


def _start_worker(service: Service, settings: Settings, _options: argparse.Namespace) -> None:
    _start_loop(f"{service.name}-worker", settings)
    queue = Topology.queue_name(service.name)
    dead = Topology.dead_letter_queue_name(service.name)
    metrics.serve(settings, [QueueDepths(settings, {queue: queue, dead: dead})])
    service.build_runtime(settings).worker().run_until(stop_event())


def _start_relay(service: Service, settings: Settings, _options: argparse.Namespace) -> None:
    _start_loop(f"{service.name}-relay", settings)
    runtime = service.build_runtime(settings)
    metrics.serve(
        settings,
        [
            OutboxBacklog(
                service.name, runtime.session_factory, runtime.outbox_model, clock=runtime.now
            )
        ],
    )
    runtime.relay().run_forever(stop_event())


API = ProcessType("api", "HTTP API (gunicorn)", _start_api, _api_arguments)
WORKER = ProcessType("worker", "consumes the service's events", _start_worker)
RELAY = ProcessType("relay", "publishes the service's outbox", _start_relay)
STANDARD_PROCESS_TYPES = (API, WORKER, RELAY)


def background_process(
    name: str, summary: str, run: Callable[[ServiceRuntime, threading.Event], None]
) -> ProcessType:
    """A process type of one service's own: logs and ``/metrics`` set up as for the
    others, then ``run(runtime, stop)`` until ``stop`` is set."""

    def start(service: Service, settings: Settings, _options: argparse.Namespace) -> None:
        _start_loop(f"{service.name}-{name}", settings)
        metrics.serve(settings)
        run(service.build_runtime(settings), stop_event())

    return ProcessType(name, summary, start)
