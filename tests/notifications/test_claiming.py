"""The claim takes due nudges highest priority first, then the oldest, leases that ran out
among them, and reads the pending index rather than sorting every due row."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, insert

from services.notifications.dispatcher.claiming import claim_due
from services.notifications.models import Nudge


def _add(session, priority: int, due_at, state: str = "scheduled", **fields) -> Nudge:
    nudge = Nudge(
        tenant_id=uuid.uuid4(),
        client_id=uuid.uuid4(),
        kind="welcome",
        occurrence_key="claim",
        channel="email",
        priority=priority,
        state=state,
        due_at=due_at,
        **fields,
    )
    session.add(nudge)
    return nudge


def test_the_claim_takes_the_highest_priority_first_then_the_oldest(notifications):
    now = notifications.clock()

    def minutes(m: int):
        return now + timedelta(minutes=m)

    with notifications.runtime.session_factory() as session:
        lowest_oldest = _add(session, 1, minutes(-180))
        urgent_newer = _add(session, 4, minutes(-1))
        urgent_older = _add(session, 4, minutes(-120))
        deferred = _add(session, 2, minutes(-60), state="deferred", reason="quiet_hours")
        stranded = _add(
            session, 3, minutes(-240), state="sending", claimed_until=now - timedelta(seconds=1)
        )
        _add(session, 4, minutes(1))  # not due yet
        _add(session, 9, minutes(60))  # not due yet, however urgent
        _add(session, 5, minutes(-5), state="sending", claimed_until=now + timedelta(seconds=10))
        _add(session, 8, minutes(-5), state="sent")
        session.commit()
        everything = [urgent_older.id, urgent_newer.id, stranded.id, deferred.id, lowest_oldest.id]

    with notifications.runtime.session_factory() as session:
        assert [n.id for n in claim_due(session, now, 10, now)] == everything
    with notifications.runtime.session_factory() as session:
        assert [n.id for n in claim_due(session, now, 3, now)] == everything[:3]
    with notifications.runtime.session_factory() as session:
        assert [n.id for n in claim_due(session, now, 1, now)] == everything[:1]
    with notifications.runtime.session_factory() as session:  # nothing due 5 hours ago
        earlier = now - timedelta(hours=5)
        assert claim_due(session, earlier, 10, earlier) == []


def test_a_burst_is_claimed_from_the_pending_index_without_sorting_it(notifications):
    """20,000 due at once took a sort of every due row per batch; the claim reads an index."""
    runtime = notifications.runtime
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the plans are PostgreSQL's")
    now = notifications.clock()
    tenant = uuid.uuid4()
    with runtime.session_factory() as session:
        session.execute(
            insert(Nudge),
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant,
                    "client_id": uuid.uuid4(),
                    "kind": "welcome",
                    "occurrence_key": "burst",
                    "channel": "email",
                    "priority": 3 if i % 10 else 1,
                    "state": "deferred" if i % 2 else "scheduled",
                    "due_at": now - timedelta(seconds=i % 7),
                }
                for i in range(3000)
            ],
        )
        session.commit()
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with runtime.session_factory() as session:
        connection = session.connection()
        event.listen(connection, "before_cursor_execute", keep)
        assert len(claim_due(session, now, 50, now)) == 50
        event.remove(connection, "before_cursor_execute", keep)
        plans = []
        for statement, parameters in statements:
            cursor = connection.connection.driver_connection.cursor()
            cursor.execute("EXPLAIN " + statement, parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        session.rollback()
    claims = [plan for plan in plans if "LockRows" in plan and "ix_nudges_pending" in plan]
    assert claims, plans  # the batch came from one level's range of the index
    assert all("Sort" not in plan for plan in claims), claims
