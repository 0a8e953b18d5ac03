"""The faults, injected one at a time into the running system.

Each fault acts and returns when it is over (the killed process back, the node back, the
database accepting connections again): recovery is timed from that moment.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg

from tests.support.infra import PG_ADMIN_DSN

if TYPE_CHECKING:
    from bench.chaos.suite import ChaosSystem


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[ChaosSystem], None]
    quick: bool = False
    # An email sent again with the same Message-ID after this fault is explained: the
    # dispatcher died after the server accepted it and before recording that.
    explains_resend: bool = False
    notes: dict = field(default_factory=dict)


# --- processes ----------------------------------------------------------------------


def sigkill(role: str) -> Callable[[ChaosSystem], None]:
    def inject(system: ChaosSystem) -> None:
        old = system.child_pid(role)
        os.kill(old, signal.SIGKILL)
        system.await_restart(role, old)

    return inject


def crash_at(role: str, point: str) -> Callable[[ChaosSystem], None]:
    """Arm a crash point of the launcher; the role's process dies there, once."""

    def inject(system: ChaosSystem) -> None:
        old = system.child_pid(role)
        armed = system.arm_dir / f"{role}.{point}"
        armed.touch()
        deadline = time.monotonic() + 60
        while armed.exists():
            if time.monotonic() > deadline:
                armed.unlink(missing_ok=True)
                raise RuntimeError(f"{role} never reached {point}")
            time.sleep(0.05)
        system.await_restart(role, old)

    return inject


# --- broker -------------------------------------------------------------------------


def kill_queue_leader(queue: str) -> Callable[[ChaosSystem], None]:
    def inject(system: ChaosSystem) -> None:
        leader = system.cluster.leader_of(queue)
        system.note(f"leader {leader.name.split('@')[0]} killed")
        leader.kill()
        time.sleep(5)
        system.cluster.restart(leader)

    return inject


def broker_down(seconds: float) -> Callable[[ChaosSystem], None]:
    def inject(system: ChaosSystem) -> None:
        for node in system.cluster.nodes:
            node.kill()
        time.sleep(seconds)
        for node in system.cluster.nodes:
            node.start()
        for node in system.cluster.nodes:
            node.await_startup()

    return inject


# --- database -----------------------------------------------------------------------


def _databases(system: ChaosSystem) -> list[str]:
    return [url.rsplit("/", 1)[1] for url in system.database_urls.values()]


def _terminate(connection, names: list[str]) -> int:
    rows = connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(%s)",
        (names,),
    ).fetchall()
    return len(rows)


def terminate_connections(system: ChaosSystem) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        system.note(f"{_terminate(connection, _databases(system))} connections terminated")


def refuse_connections(seconds: float) -> Callable[[ChaosSystem], None]:
    def inject(system: ChaosSystem) -> None:
        names = _databases(system)
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
            try:
                for name in names:
                    connection.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
                _terminate(connection, names)
                time.sleep(seconds)
            finally:
                for name in names:
                    connection.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')

    return inject


# --- messages -----------------------------------------------------------------------


def _poison_bodies() -> list[bytes]:
    schema_invalid = {
        "id": str(uuid.uuid4()),
        "type": "client.onboarded",
        "version": 1,
        "tenant_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-23T10:00:00+00:00",
        "producer": "intake",
        "data": {"client_id": "not-a-uuid", "coach_id": 42},
    }
    return [b"{this is not json", json.dumps(schema_invalid).encode()]


def poison(system: ChaosSystem) -> None:
    """An undecodable body and a schema-invalid event, both as ``client.onboarded``:
    each consumer of that event parks both and goes on."""
    for body in _poison_bodies():
        system.poison.add(body)
        system.publish(body, "client.onboarded", str(uuid.uuid4()))
    system.note("2 poison messages")


def duplicate_delivery(system: ChaosSystem) -> None:
    """The last 20 ``client.onboarded`` events already published are published again."""
    with psycopg.connect(system.dsn("intake"), autocommit=True) as connection:
        count = connection.execute(
            "UPDATE outbox SET published_at = NULL WHERE id IN (SELECT id FROM outbox "
            "WHERE routing_key = 'client.onboarded' AND published_at IS NOT NULL "
            "ORDER BY id DESC LIMIT 20)"
        ).rowcount
    system.note(f"{count} events delivered twice")


def out_of_order_delivery(system: ChaosSystem) -> None:
    """The intake relay is paused while journeys go on; the suite publishes what piled
    up in its outbox newest first (an onboarding before its referral), then lets the
    relay go on, which publishes everything again in order."""
    role = "intake-relay"
    pid = system.child_pid(role)
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(4)
        with psycopg.connect(system.dsn("intake"), autocommit=True) as connection:
            rows = connection.execute(
                "SELECT body, exchange, routing_key, headers, message_id FROM outbox "
                "WHERE published_at IS NULL ORDER BY id DESC"
            ).fetchall()
        for body, exchange, routing_key, headers, message_id in rows:
            system.publish(bytes(body), routing_key, str(message_id), exchange, headers or {})
        system.note(f"{len(rows)} events out of order, then again in order")
    finally:
        os.kill(pid, signal.SIGCONT)


# --- providers ----------------------------------------------------------------------


def smtp_fault(mode: str, seconds: float) -> Callable[[ChaosSystem], None]:
    def inject(system: ChaosSystem) -> None:
        system.smtp.handler.mode = mode
        try:
            time.sleep(seconds)
        finally:
            system.smtp.handler.mode = "ok"

    return inject


def sms_fault(mode: str, seconds: float) -> Callable[[ChaosSystem], None]:
    def inject(system: ChaosSystem) -> None:
        system.sms.mode = mode
        try:
            time.sleep(seconds)
        finally:
            system.sms.mode = "ok"

    return inject


FAULTS = [
    Fault("SIGKILL intake api", sigkill("intake-api")),
    Fault(
        "SIGKILL relay after publish, before marking",
        crash_at("intake-relay", "after-publish"),
        quick=True,
    ),
    Fault(
        "SIGKILL worker after commit, before ack",
        crash_at("plans-worker", "after-commit"),
        quick=True,
    ),
    Fault("SIGKILL worker before commit", crash_at("notifications-worker", "before-commit")),
    Fault(
        "SIGKILL dispatcher after SMTP accepted, before recording",
        crash_at("notifications-dispatcher", "after-send"),
        explains_resend=True,
    ),
    Fault("SIGKILL scheduler", sigkill("plans-scheduler")),
    Fault("queue leader node killed", kill_queue_leader("notifications.events"), quick=True),
    Fault("whole broker down 20 s", broker_down(20)),
    Fault("database connections terminated", terminate_connections),
    Fault("database refusing connections 15 s", refuse_connections(15), quick=True),
    Fault("poison and schema-invalid messages", poison, quick=True),
    Fault("SMTP 4xx for 8 s", smtp_fault("4xx", 8)),
    Fault("SMTP 5xx for 4 s", smtp_fault("5xx", 4), quick=True),
    Fault("SMTP timeouts for 8 s", smtp_fault("stall", 8)),
    Fault("SMS provider 5xx for 8 s", sms_fault("5xx", 8)),
    Fault("SMS provider timeouts for 8 s", sms_fault("stall", 8), quick=True),
    Fault("duplicate delivery", duplicate_delivery),
    Fault("out-of-order delivery", out_of_order_delivery),
]
