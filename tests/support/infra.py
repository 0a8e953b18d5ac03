"""Real RabbitMQ and PostgreSQL for the suite: unique vhosts and databases, dropped after.

Every test still gets a vhost and databases of its own, but the costly parts are done
once, or in batches, per pytest process: a :class:`VhostPool` makes and deletes
vhosts a batch per ``rabbitmqctl`` call (each call starts an Erlang VM, about a second of
CPU, and three per test were the costliest part of the suite); a :class:`DatabasePool`
migrates each service's schema once and gives each test databases at its head revision,
emptied and renamed once another test is done with them.

``REQUIRE_REAL_INFRA=1`` (set by .ci/run) makes a missing broker or database an error
instead of a fallback to the embedded transport and SQLite.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg

RABBIT_HOST, RABBIT_PORT = "127.0.0.1", int(os.environ.get("TEST_RABBITMQ_PORT", "5672"))
PG_HOST, PG_PORT = "127.0.0.1", int(os.environ.get("TEST_POSTGRES_PORT", "5432"))
PG_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"
)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def real_infra_required() -> bool:
    return os.environ.get("REQUIRE_REAL_INFRA") == "1"


def rabbitmq_available() -> bool:
    return _reachable(RABBIT_HOST, RABBIT_PORT) and shutil.which("rabbitmqctl") is not None


def postgres_available() -> bool:
    return _reachable(PG_HOST, PG_PORT)


def _rabbitmqctl(*args: str, stdin: str | None = None) -> None:
    subprocess.run(
        ["rabbitmqctl", "-q", *args],
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )


def vhost_url(name: str) -> str:
    return f"amqp://guest:guest@{RABBIT_HOST}:{RABBIT_PORT}/{name}"


def create_vhost() -> tuple[str, str]:
    """A fresh vhost for one test; returns (name, amqp URL)."""
    (name,) = create_vhosts(1)
    return name, vhost_url(name)


def create_vhosts(count: int) -> list[str]:
    """``count`` fresh vhosts, guest allowed everything, in one ``rabbitmqctl`` call."""
    names = [f"test-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    definitions = {
        "vhosts": [{"name": name} for name in names],
        "permissions": [
            {"user": "guest", "vhost": name, "configure": ".*", "write": ".*", "read": ".*"}
            for name in names
        ],
    }
    _rabbitmqctl("import_definitions", stdin=json.dumps(definitions))
    return names


def drop_vhost(name: str) -> None:
    _rabbitmqctl("delete_vhost", name)


def drop_vhosts(names: list[str]) -> None:
    """Delete the vhosts ``names`` (one ``rabbitmqctl`` call when the broker allows)."""
    if not names:
        return
    listed = ", ".join(f'<<"{name}">>' for name in names)
    try:
        # rabbitmqctl deletes one vhost per call; the broker's own function takes a list.
        _rabbitmqctl("eval", f'[rabbit_vhost:delete(V, <<"tests">>) || V <- [{listed}]].')
    except subprocess.CalledProcessError:
        for name in names:
            drop_vhost(name)


class VhostPool:
    """Vhosts for the tests of one pytest process: each test takes one nobody used before;
    they are made and deleted ``batch`` at a time."""

    def __init__(self, batch: int = 8):
        self.batch = batch
        self._unused: list[str] = []
        self._used: list[str] = []

    def take(self) -> tuple[str, str]:
        """A fresh vhost: (name, amqp URL)."""
        if not self._unused:
            self._unused = create_vhosts(self.batch)
        name = self._unused.pop()
        return name, vhost_url(name)

    def release(self, name: str) -> None:
        """``name`` is done with: deleted with the next full batch."""
        self._used.append(name)
        if len(self._used) >= self.batch:
            used, self._used = self._used, []
            drop_vhosts(used)

    def close(self) -> None:
        leftover, self._unused, self._used = self._unused + self._used, [], []
        drop_vhosts(leftover)


def create_databases(services: tuple[str, ...]) -> dict[str, str]:
    """One fresh PostgreSQL database per service; returns service -> SQLAlchemy URL."""
    return _create_databases({service: None for service in services})


def _create_databases(templates: dict[str, str | None]) -> dict[str, str]:
    """A database per service of ``templates``, a copy of its template where one is named."""
    prefix = f"t_{uuid.uuid4().hex[:12]}"
    urls = {}
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        for service, template in templates.items():
            copied = f' TEMPLATE "{template}"' if template else ""
            connection.execute(f'CREATE DATABASE "{prefix}_{service}"{copied}')
            urls[service] = _database_url(f"{prefix}_{service}")
    return urls


def _database_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"


class DatabasePool:
    """Databases for the tests of one pytest process. Each test gets, per service, a
    database under a name never used before, at the head revision and holding no rows:
    a copy (``CREATE DATABASE ... TEMPLATE``) of the service's schema, migrated once here
    on PostgreSQL (``tests/unit/test_migrations.py`` checks the migrations build the
    models' schema), or one an earlier test used, renamed once nothing is connected to
    it (an engine left behind cannot reach it any more) and emptied (``TRUNCATE``).

    Creating and dropping three databases per test cost more than the tests themselves:
    a copy writes every page of the template, and PostgreSQL checkpoints on each DROP
    DATABASE. Everything left is dropped at the end."""

    def __init__(self):
        self._prefix = f"t_{uuid.uuid4().hex[:12]}"
        self._templates: dict[str, str] = {}
        self._free: dict[str, list[str]] = {}

    def create(self, services: tuple[str, ...]) -> dict[str, str]:
        """A fresh database per service: service -> SQLAlchemy URL."""
        urls = {}
        for service in services:
            free = self._free.get(service)
            if free:
                urls[service] = _database_url(self._emptied(free.pop(), service))
            else:
                urls |= _create_databases({service: self._template(service)})
        return urls

    def release(self, urls: dict[str, str]) -> None:
        """The databases ``urls`` are done with: the next tests get them, emptied."""
        for service, url in urls.items():
            self._free.setdefault(service, []).append(url.rsplit("/", 1)[1])

    def close(self) -> None:
        """Drop every database left: the free ones and the templates."""
        names = [name for free in self._free.values() for name in free]
        names += self._templates.values()
        drop_databases({name: _database_url(name) for name in names})
        self._free.clear()
        self._templates.clear()

    def _emptied(self, used: str, service: str) -> str:
        """``used``, under a new name, with every table but the migrations' own emptied."""
        name = f"{self._prefix}_{uuid.uuid4().hex[:8]}_{service}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
            # A test may have made it refuse connections (the outage tests).
            connection.execute(f'ALTER DATABASE "{used}" WITH ALLOW_CONNECTIONS true')
            for attempt in range(50):
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (used,),
                )
                try:
                    connection.execute(f'ALTER DATABASE "{used}" RENAME TO "{name}"')
                    break
                except psycopg.errors.ObjectInUse:  # a terminated session not gone yet
                    if attempt == 49:
                        raise
                    time.sleep(0.05)
        with psycopg.connect(PG_ADMIN_DSN, dbname=name, autocommit=True) as connection:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename NOT IN ('alembic_version', 'schema_compatibility')"
                )
            ]
            if tables:
                listed = ", ".join(f'"{table}"' for table in tables)
                connection.execute(f"TRUNCATE {listed} RESTART IDENTITY CASCADE")
        return name

    def _template(self, service: str) -> str:
        if service not in self._templates:
            from shared.db.migrate import upgrade

            name = f"{self._prefix}_template_{service}"
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            upgrade(_MIGRATIONS / service / "migrations", _database_url(name))
            self._templates[service] = name
        return self._templates[service]


_MIGRATIONS = Path(__file__).resolve().parents[2] / "services"


def drop_databases(urls: dict[str, str]) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        for url in urls.values():
            name = url.rsplit("/", 1)[1]
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def queue_depths(vhost_url: str) -> dict[str, int]:
    """Messages (ready + unacknowledged) per queue in the vhost of ``vhost_url``."""
    return _queue_column(vhost_url, "messages")


def queue_consumers(vhost_url: str) -> dict[str, int]:
    """Consumers attached to each queue in the vhost of ``vhost_url``."""
    return _queue_column(vhost_url, "consumers")


def _queue_column(vhost_url: str, column: str) -> dict[str, int]:
    vhost = vhost_url.rsplit("/", 1)[1]
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", column, "--no-table-headers"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    depths = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            depths[parts[0]] = int(parts[1])
    return depths
