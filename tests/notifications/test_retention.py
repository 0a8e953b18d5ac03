"""Housekeeping trims notifications' growing tables: finished nudges, inbound SMS ids and
recorded reply ids go after NUDGE_RETENTION_DAYS, in bounded batches; pending work and
anything recent stay."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.notifications import retention
from services.notifications.bootstrap import build_runtime
from services.notifications.models import Nudge
from services.notifications.replies.models import InboundMessage, ReceivedReply
from shared.clock import FrozenClock
from shared.config import load_settings
from shared.db.housekeeping import Housekeeper, Retention

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def runtime(notifications_env):
    runtime = build_runtime(load_settings())
    runtime.clock = FrozenClock(NOW)
    runtime.migrate()
    yield runtime
    runtime.engine.dispose()


def _nudge(tenant, client, state, due_days_ago, key):
    due = NOW - timedelta(days=due_days_ago)
    return Nudge(
        tenant_id=tenant,
        client_id=client,
        kind="action_reminder",
        occurrence_key=key,
        state=state,
        due_at=due,
        sent_at=due if state == "sent" else None,
        created_at=due,
        updated_at=due,
    )


def _add(runtime):
    tenant, client = uuid.uuid4(), uuid.uuid4()
    rows = [
        # finished long ago: go (7 of them, more than two batches of 3)
        *[_nudge(tenant, client, "sent", 100 + i, f"old-sent-{i}") for i in range(5)],
        _nudge(tenant, client, "failed", 120, "old-failed"),
        _nudge(tenant, client, "skipped", 95, "old-skipped"),
        # finished recently: stays
        _nudge(tenant, client, "sent", 10, "recent-sent"),
        # pending or sending, however old: stays
        _nudge(tenant, client, "scheduled", 200, "old-scheduled"),
        _nudge(tenant, client, "deferred", 200, "old-deferred"),
        _nudge(tenant, client, "sending", 200, "old-sending"),
        InboundMessage(message_sid="SM-old", received_at=NOW - timedelta(days=91)),
        InboundMessage(message_sid="SM-new", received_at=NOW - timedelta(days=1)),
        *[
            ReceivedReply(
                id=uuid.uuid4(),
                tenant_id=tenant,
                client_id=client,
                channel="sms",
                intent="mood",
                received_at=NOW - timedelta(days=days),
            )
            for days in (91, 92, 1)
        ],
    ]
    with runtime.session_factory() as session:
        session.add_all(rows)
        session.commit()


def _left(runtime) -> tuple[set[str], set[str], int]:
    with runtime.session_factory() as session:
        return (
            set(session.scalars(select(Nudge.occurrence_key))),
            set(session.scalars(select(InboundMessage.message_sid))),
            session.scalar(select(func.count()).select_from(ReceivedReply)),
        )


def test_finished_nudges_and_old_reply_ids_go_in_batches_pending_work_stays(runtime):
    _add(runtime)
    housekeeper = Housekeeper(
        runtime.session_factory,
        Retention.from_settings(runtime.settings),
        outbox_model=runtime.outbox_model,
        inbox_model=runtime.inbox_model,
        idempotency_model=runtime.idempotency_model,
        clock=runtime.now,
        batch_size=3,
        purges=retention.purges(runtime.settings),
    )

    removed = housekeeper.run_once(NOW)

    assert removed["nudges"] == 7
    assert removed["inbound_messages"] == 1
    assert removed["client_replies"] == 2
    assert _left(runtime) == (
        {"recent-sent", "old-scheduled", "old-deferred", "old-sending"},
        {"SM-new"},
        1,
    )
    assert housekeeper.run_once(NOW)["nudges"] == 0


def test_batches_are_bounded(runtime):
    _add(runtime)
    housekeeper = runtime.housekeeper()
    housekeeper.batch_size = 3
    sizes = []
    session_factory = housekeeper.session_factory

    def watching():
        session = session_factory()
        original = session.execute

        def execute(statement, *args, **kwargs):
            result = original(statement, *args, **kwargs)
            if statement.is_delete and statement.table.name == "nudges":
                sizes.append(result.rowcount)
            return result

        session.execute = execute
        return session

    housekeeper.session_factory = watching

    assert housekeeper.run_once(NOW)["nudges"] == 7
    assert sizes == [3, 3, 1]


def test_the_inbox_retention_is_the_floor(runtime):
    short = dataclasses.replace(runtime.settings, nudge_retention_days=2)
    assert retention.kept_for(short) == timedelta(days=short.inbox_retention_days + 1)
    _add(runtime)
    runtime.settings = short

    removed = runtime.housekeeper().run_once(NOW)

    assert removed["nudges"] == 7  # the one sent 10 days ago is still inside the floor
    assert "recent-sent" in _left(runtime)[0]
