"""The hot queries keep their indexes: every statement of every operation the growth
benchmark times (``bench/growth.py``) is planned, on a small copy of the same data with
``enable_seqscan`` (and hash and merge joins) off, without reading a big table whole. A statement no index
can serve is read by a sequential scan even then: that is the plan that grows with the
data. Plans only, no timing."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest

from bench import growth
from shared.config import load_settings
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(
    not BACKEND.startswith("rabbitmq"), reason="query plans are PostgreSQL's"
)

BASE = 30  # clients at 1x: with the coach's 50 and the admin's 20, a few thousand rows


def _world(runtime, fill):
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    clients, world = growth.clients_of(BASE, 1, rng, now, measured_days=60, admin_clients=20)
    fill(runtime, clients, world, rng)
    background = [c for c in clients if c.tenant != world.coach_tenant]
    world.erasable = [(c.tenant, c.id) for c in rng.sample(background, 3)]
    with runtime.autocommit_engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    return world


def _seq_scans(runtime, operations) -> dict[str, list[tuple[str, str]]]:
    found = {}
    for op in operations:
        statements = growth.Statements(runtime.engine, runtime.autocommit_engine)
        statements.kept = []
        try:
            op.run(0)
        finally:
            statements.close()
        assert statements.kept, op.name
        scans = growth.seq_scans(runtime.engine, statements.kept)
        if scans:
            found[op.name] = scans
    return found


@pytest.fixture
def notifications_runtime(notifications_env):
    from services.notifications.bootstrap import build_runtime

    runtime = build_runtime(load_settings())
    runtime.migrate()
    yield runtime
    runtime.engine.dispose()


def test_plans_hot_queries_use_indexes(plans_runtime):
    world = _world(plans_runtime, growth.fill_plans)
    operations = growth.plans_operations(plans_runtime, world)
    assert {op.name for op in operations} >= {"plans scheduler tick", "journal page"}

    assert _seq_scans(plans_runtime, operations) == {}


def test_notifications_hot_queries_use_indexes(notifications_runtime):
    world = _world(notifications_runtime, growth.fill_notifications)
    operations = growth.notifications_operations(notifications_runtime, world)

    assert _seq_scans(notifications_runtime, operations) == {}


def test_a_missing_index_is_caught(plans_runtime):
    """The check itself: a statement filtering on a column no index covers is found."""
    kept = [
        ("SELECT id FROM journal_entries WHERE intent = %(intent)s", {"intent": "mood"}),
        ("SELECT id FROM journal_entries WHERE id = %(id)s", {"id": uuid.uuid4()}),
    ]
    assert growth.seq_scans(plans_runtime.engine, kept) == [("journal_entries", kept[0][0])]
