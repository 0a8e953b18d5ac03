"""Housekeeping: expired idempotency keys and old outbox and inbox rows go; nothing else."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from shared.db.housekeeping import Housekeeper, Retention
from tests.support.waiting import wait_for

BODY = {"given_name": "Kai", "family_name": "Moana", "timezone": "Pacific/Auckland"}


def _intake():
    from services.intake import models

    return models


def _add_rows(runtime, *, now):
    """Rows on either side of each limit (24 h keys, 7-day outbox, 30-day inbox)."""
    m = _intake()
    ago = lambda **kw: now - timedelta(**kw)  # noqa: E731
    tenant = uuid.uuid4()

    def outbox(created, published):
        return m.Outbox(
            message_id=uuid.uuid4(),
            tenant_id=tenant,
            exchange="coaching.events",
            routing_key="client.referred",
            body=b"{}",
            headers={},
            created_at=created,
            available_at=created,
            published_at=published,
            publish_attempts=0,
        )

    with runtime.session_factory() as session:
        session.add_all(
            [
                outbox(ago(days=9), ago(days=8)),  # published long ago: goes
                outbox(ago(days=2), ago(days=1)),  # published recently: stays
                outbox(ago(days=40), None),  # never published: stays, however old
                *[
                    m.ProcessedEvent(
                        event_id=uuid.uuid4(),
                        event_type="client.erased",
                        tenant_id=tenant,
                        processed_at=ago(days=31, minutes=i),
                    )
                    for i in range(5)  # more than one batch of 2
                ],
                m.ProcessedEvent(
                    event_id=uuid.uuid4(),
                    event_type="client.erased",
                    tenant_id=tenant,
                    processed_at=ago(days=29),
                ),
                m.IdempotencyKey(
                    scope=str(tenant), key="old", request_digest="x", created_at=ago(hours=25)
                ),
                m.IdempotencyKey(
                    scope=str(tenant), key="new", request_digest="x", created_at=ago(hours=23)
                ),
            ]
        )
        session.commit()


def _counts(runtime) -> dict[str, int]:
    m = _intake()
    with runtime.session_factory() as session:
        return {
            "outbox": session.scalar(select(func.count()).select_from(m.Outbox)),
            "unpublished": session.scalar(
                select(func.count()).select_from(m.Outbox).where(m.Outbox.published_at.is_(None))
            ),
            "inbox": session.scalar(select(func.count()).select_from(m.ProcessedEvent)),
            "keys": set(session.scalars(select(m.IdempotencyKey.key))),
        }


def test_old_rows_go_in_batches_and_recent_or_unpublished_rows_stay(system, settings):
    runtime = system.runtimes["intake"]
    now = runtime.now()
    _add_rows(runtime, now=now)
    m = _intake()
    housekeeper = Housekeeper(
        runtime.session_factory,
        Retention.from_settings(settings),
        outbox_model=m.Outbox,
        inbox_model=m.ProcessedEvent,
        idempotency_model=m.IdempotencyKey,
        clock=runtime.now,
        batch_size=2,
    )

    removed = housekeeper.run_once(now)

    assert removed == {"outbox": 1, "inbox": 5, "idempotency_keys": 1}
    assert _counts(runtime) == {"outbox": 2, "unpublished": 1, "inbox": 1, "keys": {"new"}}
    assert housekeeper.run_once(now) == {"outbox": 0, "inbox": 0, "idempotency_keys": 0}


def test_a_retry_after_its_key_expired_is_a_new_request(api, tenant, system):
    m = _intake()
    headers = {"Idempotency-Key": "referral-7"}
    first = api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    runtime = system.runtimes["intake"]
    with runtime.session_factory() as session:
        session.execute(
            update(m.IdempotencyKey).values(created_at=runtime.now() - timedelta(hours=25))
        )
        session.commit()
    runtime.housekeeper().run_once()

    again = api.call(
        "intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=dict(headers)
    )
    assert first.status == again.status == 201
    assert again.body["id"] != first.body["id"]
    assert "Idempotent-Replayed" not in again.headers


def test_the_relay_keeps_house_on_its_interval(system, settings):
    runtime = system.runtimes["intake"]
    runtime.settings = dataclasses.replace(settings, housekeeping_interval_seconds=0.2)
    relay = runtime.relay()
    stop = threading.Event()
    thread = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        _add_rows(runtime, now=runtime.now())  # after its first round: the next one takes them
        wait_for(
            lambda: (c := _counts(runtime))["inbox"] == 1 and c["keys"] == {"new"},
            timeout=10,
            what="old inbox rows and idempotency keys gone",
        )
    finally:
        stop.set()
        thread.join(10)
        runtime.settings = settings


def test_the_housekeeping_command_runs_it_once_per_service(system):
    _add_rows(system.runtimes["intake"], now=system.runtimes["intake"].now())

    done = subprocess.run(
        [sys.executable, "-m", "coaching", "housekeeping", "intake"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "intake: 1 outbox rows, 5 inbox rows, 1 idempotency_keys rows"
    assert _counts(system.runtimes["intake"])["inbox"] == 1
