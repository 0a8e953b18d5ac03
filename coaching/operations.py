"""The operator's commands that are not a process: migrate, await the schema, declare
the topology, housekeeping. ``coaching run`` starts with the first two."""

from __future__ import annotations

import sys
import time

from coaching import registry
from shared.config import Settings
from shared.logging import configure_logging


def cmd_migrate(settings: Settings, services: list[str]) -> None:
    for name in services or registry.SERVICES:
        before, after = registry.service(name).build_runtime(settings).migrate()
        upgraded = f" (upgraded from {before or 'empty'})" if before != after else ""
        print(f"{name}: database at revision {after}{upgraded}", flush=True)


def cmd_await_schema(settings: Settings, service: str, timeout: float) -> int:
    """Exit 0 once the service's database is at the latest revision, 1 after ``timeout``."""
    from shared.db.migrate import at_head

    runtime = registry.service(service).build_runtime(settings)
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


def cmd_housekeeping(settings: Settings, services: list[str]) -> None:
    configure_logging("housekeeping", settings.log_level)
    for name in services or registry.SERVICES:
        removed = registry.service(name).build_runtime(settings).housekeeper().run_once()
        print(f"{name}: " + ", ".join(f"{n} {table} rows" for table, n in removed.items()))
