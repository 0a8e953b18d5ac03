"""An idle relay or dispatcher is woken by the commit that gives it work (PostgreSQL
``LISTEN``/``NOTIFY``), not by its next poll: ``shared/db/commit_wakeup.py``.

Each loop here polls once an hour, so a row handled at all was handled because a commit
woke the loop; the wake-up's own counters say so too."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from sqlalchemy import func, select, text

from shared.db.commit_wakeup import CommitWakeup
from tests.conftest import BACKEND
from tests.support.wakeup import AN_HOUR, Watched

needs_postgresql = pytest.mark.skipif(
    not BACKEND.startswith("rabbitmq"), reason="LISTEN/NOTIFY is PostgreSQL's"
)


def _unpublished(runtime) -> int:
    outbox = runtime.outbox_model
    with runtime.session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(outbox).where(outbox.published_at.is_(None))
        )


def _eventually(condition, what: str) -> None:
    """Until ``condition()`` holds; fails after a minute (a hang, not a speed check)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.01)


@needs_postgresql
def test_a_commit_wakes_the_idle_relay_without_waiting_its_poll_interval(api, tenant, system):
    runtime = system.runtimes["intake"]
    system.relay()  # the tenant's setup, published: the outbox is empty
    relay = runtime.relay()
    relay.settings = dataclasses.replace(relay.settings, poll_interval_seconds=AN_HOUR)
    relay.housekeeper = None
    wakeup = relay.idle_wait
    assert isinstance(wakeup, CommitWakeup)
    relay.idle_wait = watched = Watched(wakeup)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        assert watched.waiting.wait(60), "the relay never went idle"
        api.refer_client(tenant["token"])  # commits client.referred in intake's outbox
        _eventually(lambda: _unpublished(runtime) == 0, "published")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert wakeup.woken >= 1
    assert wakeup.polls == 0  # the hour's poll never ran out: the commit woke it


def _insert_outbox_row(connection) -> None:
    connection.execute(
        text(
            "INSERT INTO outbox (message_id, tenant_id, exchange, routing_key, body, headers,"
            " created_at, available_at, publish_attempts)"
            " VALUES (gen_random_uuid(), gen_random_uuid(), 'x', 'client.referred', '{}',"
            " '{}', now(), now(), 0)"
        )
    )


@needs_postgresql
def test_only_a_committed_outbox_insert_wakes_a_listener(system):
    runtime = system.runtimes["intake"]
    wakeup = CommitWakeup(runtime.engine, "outbox")
    never = threading.Event()
    assert wakeup.listen()
    try:
        with runtime.engine.connect() as connection:
            _insert_outbox_row(connection)
            connection.rollback()
        assert wakeup.wait(never, 0.3) is False
        with runtime.engine.connect() as connection:
            connection.execute(text("UPDATE outbox SET publish_attempts = publish_attempts"))
            connection.commit()
        assert wakeup.wait(never, 0.3) is False  # the relay's own marking wakes nobody
        with runtime.engine.begin() as connection:  # two statements, one transaction
            _insert_outbox_row(connection)
            _insert_outbox_row(connection)
        assert wakeup.wait(never, AN_HOUR) is True
        assert wakeup.wait(never, 0.3) is False  # one transaction, one notification
        assert (wakeup.woken, wakeup.polls) == (1, 3)
    finally:
        wakeup.close()
