"""The operator's commands that are not a process: migrate, await the schema, declare
the topology, housekeeping. ``coaching run`` starts with the first two."""

from __future__ import annotations

import sys
import time

from coaching import registry
from shared.config import Settings
from shared.logging import configure_logging


def cmd_migrate(settings: Settings, services: list[str]) -> int:
    """Upgrade each service's database to this release's head. A database a newer
    release has migrated is left as it is: fine (0) if it still serves this release,
    1 if it does not (deploy/README.md, "Upgrades and rollbacks")."""
    from shared.db.migrate import schema_state

    refused = []
    for name in services or registry.SERVICES:
        runtime = registry.service(name).build_runtime(settings)
        state = schema_state(runtime.migrations_dir, settings.database_url(name))
        if state.unknown:
            print(f"{name}: {state.describe()}", flush=True)
            if not state.ahead_and_compatible:
                refused.append(name)
            continue
        before, after = runtime.migrate()
        upgraded = f" (upgraded from {before or 'empty'})" if before != after else ""
        print(f"{name}: database at revision {after}{upgraded}", flush=True)
    return 1 if refused else 0


def cmd_await_schema(settings: Settings, service: str, timeout: float) -> int:
    """Exit 0 once the service's database serves this release (at its head, or ahead of
    it and compatible), 1 after ``timeout``."""
    from shared.db.migrate import schema_state

    runtime = registry.service(service).build_runtime(settings)
    deadline = time.monotonic() + timeout
    while True:
        state = schema_state(runtime.migrations_dir, settings.database_url(service))
        if state.serves_this_code:
            print(f"{service}: {state.describe()}", flush=True)
            return 0
        if time.monotonic() >= deadline:
            print(f"{service}: {state.describe()}; gave up after {timeout:g} s", file=sys.stderr)
            return 1
        time.sleep(2)


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
