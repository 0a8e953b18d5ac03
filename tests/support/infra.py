"""Real RabbitMQ and PostgreSQL for the suite: unique vhosts and databases, dropped after.

``REQUIRE_REAL_INFRA=1`` (set by .ci/run) makes a missing broker or database an error
instead of a fallback to the embedded transport and SQLite.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid

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


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def create_vhost() -> tuple[str, str]:
    """A fresh vhost for one test; returns (name, amqp URL)."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return name, f"amqp://guest:guest@{RABBIT_HOST}:{RABBIT_PORT}/{name}"


def drop_vhost(name: str) -> None:
    _rabbitmqctl("delete_vhost", name)


def create_databases(services: tuple[str, ...]) -> dict[str, str]:
    """One fresh PostgreSQL database per service; returns service -> SQLAlchemy URL."""
    prefix = f"t_{uuid.uuid4().hex[:12]}"
    urls = {}
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        for service in services:
            connection.execute(f'CREATE DATABASE "{prefix}_{service}"')
            urls[service] = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{prefix}_{service}"
    return urls


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
