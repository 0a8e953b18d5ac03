"""Exactly once under concurrency: three dispatcher processes on PostgreSQL, 1,000 due nudges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coaching.registry import load_settings
from services.notifications.bootstrap import build_runtime
from services.notifications.channels import channels_from_settings
from services.notifications.dispatcher import Dispatcher
from services.notifications.dispatcher.lease import LEASE, database_clock
from services.notifications.dispatcher.recorder import RECORD_BACKLOG
from services.notifications.models import Contact, Nudge, Outbox
from tests.conftest import BACKEND
from tests.support.waiting import wait_for

NUDGES = 1000
DISPATCHERS = 3


def _add_due_nudges(runtime, count: int) -> None:
    tenant = uuid.uuid4()
    due = datetime.now(UTC) - timedelta(minutes=1)
    with runtime.session_factory() as session:
        clients = [uuid.uuid4() for _ in range(count)]
        session.add_all(
            Contact(
                tenant_id=tenant,
                client_id=client,
                given_name="Sam",
                email=f"client{i}@example.net",
                timezone="UTC",
                consent_email=True,
                quiet_start="00:00",
                quiet_end="00:00",  # no quiet hours: the processes use the real clock
            )
            for i, client in enumerate(clients)
        )
        session.add_all(
            Nudge(
                tenant_id=tenant,
                client_id=client,
                kind="plan_ready",
                occurrence_key="load",
                channel="email",
                due_at=due,
                variables={"goal_count": 1},
            )
            for client in clients
        )
        session.commit()


def _spawn_dispatcher(env: dict, log_path):
    log = open(log_path, "wb")  # noqa: SIM115 - the process owns it
    return subprocess.Popen(
        [sys.executable, "-m", "coaching", "dispatcher"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.skipif(not BACKEND.startswith("rabbitmq"), reason="SKIP LOCKED needs PostgreSQL")
def test_three_dispatchers_deliver_each_of_a_thousand_nudges_exactly_once(
    notifications_env, smtp, tmp_path
):
    runtime = build_runtime(load_settings())
    runtime.migrate()
    _add_due_nudges(runtime, NUDGES)

    env = dict(os.environ) | notifications_env | {"LOG_LEVEL": "WARNING"}
    processes = []
    started = time.monotonic()
    try:
        for i in range(DISPATCHERS):
            processes.append(_spawn_dispatcher(env, tmp_path / f"dispatcher-{i}.log"))

        def all_settled():
            with runtime.session_factory() as session:
                return not session.scalar(
                    select(func.count()).select_from(Nudge).where(Nudge.state != "sent")
                )

        wait_for(all_settled, timeout=90, interval=0.25, what="every nudge sent")
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(15)
        runtime.engine.dispose()

    ids = Counter(message["Message-ID"] for message in smtp.messages)
    assert len(ids) == NUDGES
    assert max(ids.values()) == 1, [mid for mid, count in ids.items() if count > 1][:5]
    # Each dispatcher keeps its SMTP session open: several sessions means real concurrency.
    assert len(set(smtp.handler.peers)) >= 2
    logs = "".join((tmp_path / f"dispatcher-{i}.log").read_text() for i in range(DISPATCHERS))
    assert "Traceback" not in logs
    print(f"{NUDGES} nudges by {DISPATCHERS} dispatchers in {elapsed:.1f}s")


@pytest.mark.slow
@pytest.mark.skipif(not BACKEND.startswith("rabbitmq"), reason="runs on PostgreSQL")
def test_a_dispatcher_killed_mid_run_resends_at_most_the_nudges_it_had_not_recorded(
    notifications_env, smtp, tmp_path
):
    settings = load_settings()
    runtime = build_runtime(settings)
    runtime.migrate()
    count = 300
    _add_due_nudges(runtime, count)
    env = dict(os.environ) | notifications_env | {"LOG_LEVEL": "WARNING"}
    process = _spawn_dispatcher(env, tmp_path / "dispatcher.log")
    try:
        wait_for(lambda: len(smtp.messages) >= 100, timeout=60, what="a third of the nudges sent")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(15)
    sent_before_the_kill = len(smtp.messages)
    assert sent_before_the_kill < count, "the dispatcher finished before it could be killed"

    # Once the leases have run out, another dispatcher takes over what was left.
    later = Dispatcher(
        runtime,
        channels_from_settings(settings),
        lease_clock=lambda session: database_clock(session) + LEASE + timedelta(minutes=1),
    )
    try:
        while later.run_once():
            pass
    finally:
        later.close()

    ids = Counter(message["Message-ID"] for message in smtp.messages)
    assert len(ids) == count  # nothing lost
    resent = [mid for mid, times in ids.items() if times > 1]
    # At most the messages on the wire (one per SMTP session) and the outcomes waiting
    # to be recorded.
    assert len(resent) <= RECORD_BACKLOG + settings.dispatcher_connections, resent
    assert max(ids.values()) <= 2
    with runtime.session_factory() as session:
        states = Counter(session.scalars(select(Nudge.state)))
        events = session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.routing_key == "notification.sent")
        )
    runtime.engine.dispose()
    assert states == {"sent": count}
    assert events == count  # one notification.sent per nudge, resent or not
    print(f"killed after {sent_before_the_kill} of {count} sent; {len(resent)} sent again")
