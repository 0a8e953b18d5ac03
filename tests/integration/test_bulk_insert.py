"""Rows written together (``COPY`` on PostgreSQL) come out as an INSERT would have written
them, and a refused or lost write fails as SQLAlchemy's errors, as an INSERT's would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select, text

from services.plans.bootstrap import build_runtime
from services.plans.models import Goal, Outbox, RecoveryPlan
from shared.db.bulk_insert import insert_rows

NOW = datetime(2026, 11, 30, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def plans(settings):
    runtime = build_runtime(settings)
    runtime.migrate()
    yield runtime
    runtime.engine.dispose()


def _plan(tenant_id, **changes) -> dict:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "client_id": uuid.uuid4(),
        "coach_id": uuid.uuid4(),
        "status": "draft",
        "timezone": "Europe/London",
        "baseline_ratings": {"housing": 5, "work_study": 7},
        "assessment_version": 1,
        "latest_ratings": {"housing": 5},
        "latest_assessment_version": 1,
        "baseline_measures": None,  # JSON null, as an INSERT writes it
        "latest_measures": {"k10": {"total": 22, "band": "moderate"}},
        "risk_flagged": False,
        "version": 1,
        "source_event_id": uuid.uuid4(),
        "created_at": NOW,
        "updated_at": NOW,
    } | changes


def _outbox_row(tenant_id) -> dict:
    return {
        "message_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "exchange": "coaching.events",
        "routing_key": "plan.created",
        "body": b'{"quote": "\\"", "tab": "\\t", "back": "\\\\"}\x00\xff',
        "headers": {"x-note": "tab\there, newline\nthere, backslash \\ and \u00e9"},
        "aggregate_id": None,
        "created_at": NOW,
        "available_at": NOW,
        "publish_attempts": 0,
    }


def _read(session, model, key: str, values) -> dict:
    """Rows by ``key``, as dicts without the columns each write numbers afresh."""
    table = model.__table__
    rows = session.execute(select(table).where(table.c[key].in_(values))).mappings()
    return {row[key]: {k: v for k, v in row.items() if k not in FRESH} for row in rows}


FRESH = {"id", "message_id", "source_event_id", "plan_id", "client_id", "coach_id"}


def test_rows_written_together_read_back_as_inserted_rows_do(plans):
    tenant = uuid.uuid4()
    together = [_plan(tenant), _plan(tenant, timezone="Pacific/Auckland", status="active")]
    inserted = [_plan(tenant), _plan(tenant, timezone="Pacific/Auckland", status="active")]
    goal = {
        "tenant_id": tenant,
        "position": 1,
        "title": "A flat with a \\ backslash, a tab\t and \u00e9",
        "domain": "housing",
        "status": "proposed",
        "priority": "medium",
        "progress": 0,
        "version": 1,
        "created_at": NOW,
    }
    goal_together = goal | {"id": uuid.uuid4(), "plan_id": together[0]["id"]}
    goal_inserted = goal | {"id": uuid.uuid4(), "plan_id": inserted[0]["id"]}
    outbox_together, outbox_inserted = _outbox_row(tenant), _outbox_row(tenant)
    with plans.session_factory() as session:
        insert_rows(session, RecoveryPlan.__table__, together)
        insert_rows(session, Goal.__table__, [goal_together])
        insert_rows(session, Outbox.__table__, [outbox_together])
        session.execute(insert(RecoveryPlan.__table__), inserted)
        session.execute(insert(Goal.__table__), [goal_inserted])
        session.execute(insert(Outbox.__table__), [outbox_inserted])
        session.commit()
    with plans.session_factory() as session:
        for written, expected in ((together, inserted), ([goal_together], [goal_inserted])):
            model = RecoveryPlan if written is together else Goal
            got = _read(session, model, "id", [r["id"] for r in written + expected])
            assert [got[r["id"]] for r in written] == [got[r["id"]] for r in expected]
        outbox = _read(
            session,
            Outbox,
            "message_id",
            [outbox_together["message_id"], outbox_inserted["message_id"]],
        )
        assert outbox[outbox_together["message_id"]] == outbox[outbox_inserted["message_id"]]
        assert outbox[outbox_together["message_id"]]["body"] == outbox_together["body"]
        ids = session.execute(select(Outbox.id).order_by(Outbox.id)).scalars().all()
        assert len(ids) == 2  # numbered by the server, in the order written
        if session.get_bind().dialect.name == "postgresql":
            kinds = session.execute(
                text("SELECT jsonb_typeof(baseline_measures) FROM recovery_plans")
            )
            assert set(kinds.scalars()) == {"null"}  # JSON null both ways, not SQL NULL


def test_a_refused_row_fails_as_an_insert_would_and_writes_nothing(plans):
    tenant = uuid.uuid4()
    first = _plan(tenant)
    twin = _plan(tenant, source_event_id=first["source_event_id"])  # one plan per event
    with plans.session_factory() as session:
        with pytest.raises(sa_exc.IntegrityError, match="uq_plan_source|UNIQUE constraint failed"):
            insert_rows(session, RecoveryPlan.__table__, [first, twin])
        session.rollback()
        assert session.scalars(select(RecoveryPlan.id)).all() == []


def test_a_lost_connection_fails_as_sqlalchemy_reports_an_outage(plans):
    from shared.db.outage import is_database_outage

    if plans.engine.dialect.name != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    with plans.session_factory() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with plans.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(sa_exc.DBAPIError) as failure:
            insert_rows(session, RecoveryPlan.__table__, [_plan(uuid.uuid4())])
        assert is_database_outage(failure.value)


def test_rows_leaving_out_a_defaulted_column_get_its_default(plans):
    """``COPY`` would not fill in a Python-side default: such rows are INSERTed."""
    row = _outbox_row(uuid.uuid4())
    del row["created_at"], row["headers"]
    with plans.session_factory() as session:
        insert_rows(session, Outbox.__table__, [row])
        session.commit()
        written = session.execute(select(Outbox.__table__)).one()
    assert written.headers == {} and written.created_at is not None


def test_uuids_given_as_text_are_written_as_the_uuids_they_name(plans):
    """As the text format took them (SQLite's INSERT never did)."""
    if plans.engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    tenant = uuid.uuid4()
    row = _plan(str(tenant))
    row["id"], row["client_id"] = str(row["id"]), str(row["client_id"])
    with plans.session_factory() as session:
        insert_rows(session, RecoveryPlan.__table__, [row])
        session.commit()
        written = session.get(RecoveryPlan, uuid.UUID(row["id"]))
    assert (written.tenant_id, written.client_id) == (tenant, uuid.UUID(row["client_id"]))


def test_a_table_with_columns_of_other_types_is_written_too(plans):
    """Binary ``COPY`` takes the types the onboarding's tables use; others go as text."""
    from decimal import Decimal

    from sqlalchemy import Column, Date, Integer, MetaData, Numeric, String, Table

    metadata = MetaData()
    table = Table(
        f"copy_kinds_{uuid.uuid4().hex[:8]}",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("amount", Numeric(10, 2)),
        Column("day", Date),
        Column("note", String(40)),
    )
    metadata.create_all(plans.engine)
    try:
        rows = [
            {"id": 1, "amount": Decimal("12.50"), "day": NOW.date(), "note": "tab\tand \u00e9"},
            {"id": 2, "amount": None, "day": None, "note": None},
        ]
        with plans.session_factory() as session:
            insert_rows(session, table, rows)
            session.commit()
            written = session.execute(select(table).order_by(table.c.id)).mappings().all()
        assert [dict(row) for row in written] == rows
    finally:
        metadata.drop_all(plans.engine)
