"""``coaching``: start any process of any service, or the whole system (``coaching run``).

coaching run                         every process of the three services (make run)
coaching migrate [SERVICE ...]       create or upgrade databases
coaching await-schema SERVICE        wait until a database is migrated (init containers)
coaching api|worker|relay SERVICE    one process
coaching dispatcher                  notifications' nudge sender
coaching scheduler plans             plans' time-based work (reviews due, missed check-ins)
coaching topology                    declare exchanges and queues
coaching deadletters list|show|replay SERVICE [--id MESSAGE_ID | --all]
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

from shared import metrics
from shared.config import SERVICES, Settings, load_settings
from shared.logging import configure_logging


def runtime_of(service: str, settings: Settings):
    return importlib.import_module(f"services.{service}.bootstrap").build_runtime(settings)


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def _handle(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    return stop


def cmd_migrate(settings: Settings, services: list[str]) -> None:
    for service in services or SERVICES:
        before, after = runtime_of(service, settings).migrate()
        upgraded = f" (upgraded from {before or 'empty'})" if before != after else ""
        print(f"{service}: database at revision {after}{upgraded}", flush=True)


def cmd_await_schema(settings: Settings, service: str, timeout: float) -> int:
    """Exit 0 once the service's database is at the latest revision, 1 after ``timeout``."""
    import time

    from shared.db.migrate import at_head

    runtime = runtime_of(service, settings)
    deadline = time.monotonic() + timeout
    while not at_head(runtime.migrations_dir, settings.database_url(service)):
        if time.monotonic() >= deadline:
            print(f"{service}: database not migrated after {timeout:g} s", file=sys.stderr)
            return 1
        time.sleep(2)
    print(f"{service}: database is at the latest revision")
    return 0


def cmd_topology(settings: Settings) -> None:
    from shared.messaging.connection import broker_connection, ensure_connected
    from shared.messaging.topology import Topology

    with ensure_connected(broker_connection(settings)) as connection:
        Topology(settings).declare(connection)
    print("topology declared")


def cmd_api(settings: Settings, service: str, host: str) -> None:
    port = settings.ports[service]
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    os.execv(
        gunicorn,
        [
            gunicorn,
            "-c",
            "python:shared.web.gunicorn_config",
            "--bind",
            f"{host}:{port}",
            "--name",
            f"coaching-{service}",
            f"services.{service}.bootstrap:create_app()",
        ],
    )


def cmd_worker(settings: Settings, service: str) -> None:
    from shared.messaging.topology import Topology

    configure_logging(f"{service}-worker", settings.log_level)
    topology = Topology(settings)
    metrics.serve(
        settings,
        [
            metrics.QueueDepths(
                settings,
                {
                    topology.queue_name(service): topology.queue_name(service),
                    topology.dead_letter_queue_name(service): topology.dead_letter_queue_name(
                        service
                    ),
                },
            )
        ],
    )
    runtime_of(service, settings).worker().run_until(_stop_event())


def cmd_relay(settings: Settings, service: str) -> None:
    configure_logging(f"{service}-relay", settings.log_level)
    runtime = runtime_of(service, settings)
    metrics.serve(
        settings, [metrics.OutboxBacklog(service, runtime.session_factory, runtime.outbox_model)]
    )
    runtime.relay().run_forever(_stop_event())


def cmd_scheduler(settings: Settings, service: str) -> None:
    from services.plans.scheduler import PlansScheduler

    configure_logging(f"{service}-scheduler", settings.log_level)
    metrics.serve(settings)
    PlansScheduler(runtime_of(service, settings)).run_until(_stop_event())


def cmd_dispatcher(settings: Settings) -> None:
    from services.notifications.channels import channels_from_settings
    from services.notifications.dispatcher import Dispatcher

    configure_logging("notifications-dispatcher", settings.log_level)
    metrics.serve(settings)
    runtime = runtime_of("notifications", settings)
    # A transaction per outcome: the dispatcher retries a failed round itself, and a
    # ping before each would cost a round trip per nudge.
    runtime.ping_connections = False
    Dispatcher(
        runtime,
        channels_from_settings(settings),
        more_channels=[
            channels_from_settings(settings) for _ in range(settings.dispatcher_connections - 1)
        ],
    ).run_forever(_stop_event())


def cmd_housekeeping(settings: Settings, services: list[str]) -> None:
    configure_logging("housekeeping", settings.log_level)
    for service in services or SERVICES:
        removed = runtime_of(service, settings).housekeeper().run_once()
        print(f"{service}: " + ", ".join(f"{n} {table} rows" for table, n in removed.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="coaching", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every process (the embedded default unless configured)")
    migrate = sub.add_parser("migrate")
    migrate.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(SERVICES))
    sub.add_parser("topology")
    await_schema = sub.add_parser(
        "await-schema", help="wait until a service's database is migrated (exit 1 on timeout)"
    )
    await_schema.add_argument("service", choices=SERVICES)
    await_schema.add_argument("--timeout", type=float, default=300.0)
    housekeeping = sub.add_parser(
        "housekeeping", help="delete expired idempotency keys and old outbox and inbox rows"
    )
    housekeeping.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(SERVICES))
    api = sub.add_parser("api")
    api.add_argument("service", choices=SERVICES)
    api.add_argument("--host", default=os.environ.get("API_HOST", "127.0.0.1"))
    for name in ("worker", "relay"):
        sub.add_parser(name).add_argument("service", choices=SERVICES)
    sub.add_parser("dispatcher")
    sub.add_parser("scheduler").add_argument("service", choices=("plans",))
    dead = sub.add_parser("deadletters", help="list, show or replay dead-lettered messages")
    dead.add_argument("action", choices=("list", "show", "replay"))
    dead.add_argument("service", choices=SERVICES)
    dead.add_argument("--id", dest="message_id")
    dead.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.command == "run":
        from shared.supervisor import run_everything

        sys.exit(run_everything(settings))
    elif args.command == "migrate":
        unknown = set(args.services) - set(SERVICES)
        if unknown:
            parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
        cmd_migrate(settings, args.services)
    elif args.command == "housekeeping":
        unknown = set(args.services) - set(SERVICES)
        if unknown:
            parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
        cmd_housekeeping(settings, args.services)
    elif args.command == "topology":
        cmd_topology(settings)
    elif args.command == "await-schema":
        sys.exit(cmd_await_schema(settings, args.service, args.timeout))
    elif args.command == "api":
        cmd_api(settings, args.service, args.host)
    elif args.command == "worker":
        cmd_worker(settings, args.service)
    elif args.command == "relay":
        cmd_relay(settings, args.service)
    elif args.command == "dispatcher":
        cmd_dispatcher(settings)
    elif args.command == "scheduler":
        cmd_scheduler(settings, args.service)
    elif args.command == "deadletters":
        from shared.messaging.deadletters import run_command

        sys.exit(run_command(settings, args.action, args.service, args.message_id, args.all))


if __name__ == "__main__":
    main()
