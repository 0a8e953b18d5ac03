"""Migration steps that more than one service's Alembic revisions take.

Each function issues the operations one released revision issued, in the same order,
so the databases those revisions have already built and the ones built from here are
the same. A released step is never edited: a later change to these tables is a new step
(and a new revision). Imported only by migration scripts, which run under Alembic.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy.dialects import postgresql

from shared.db.types import UtcDateTime

# The JSON column type as the revisions spell it: JSONB on PostgreSQL, JSON on SQLite.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def create_outbox_and_inbox() -> None:
    """Create the ``outbox`` (with its pending index) and ``processed_events`` tables."""
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("exchange", sa.String(length=200), nullable=False),
        sa.Column("routing_key", sa.String(length=200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("aggregate_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("available_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("publish_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending", ["published_at", "available_at", "id"], unique=False
        )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("processed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )


def drop_outbox_and_inbox() -> None:
    """Undo :func:`create_outbox_and_inbox`."""
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
    op.drop_table("outbox")


def create_idempotency_keys() -> None:
    """Create ``idempotency_keys``: the stored answer to each ``Idempotency-Key``."""
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )


def drop_idempotency_keys() -> None:
    """Undo :func:`create_idempotency_keys`."""
    op.drop_table("idempotency_keys")


def index_inbox_by_processed_at() -> None:
    """Index ``processed_events.processed_at``: housekeeping deletes inbox rows older
    than INBOX_RETENTION_DAYS by it."""
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index("ix_processed_events_processed_at", ["processed_at"], unique=False)


def drop_inbox_processed_at_index() -> None:
    """Undo :func:`index_inbox_by_processed_at`."""
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index("ix_processed_events_processed_at")


def widen_idempotency_scope() -> None:
    """Let ``idempotency_keys.scope`` hold "<tenant id>:<staff id>" (64 to 80 characters)."""
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "scope", existing_type=sa.String(length=64), type_=sa.String(length=80)
        )


def narrow_idempotency_scope() -> None:
    """Undo :func:`widen_idempotency_scope`, forgetting the keys that no longer fit."""
    # Caller-scoped keys do not fit the old column; they are only stored answers.
    op.execute("DELETE FROM idempotency_keys WHERE length(scope) > 64")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "scope", existing_type=sa.String(length=80), type_=sa.String(length=64)
        )


def create_staff_access() -> None:
    """Create ``staff_access``: each staff member's standing, projected from intake's
    ``staff.access_changed`` and checked on every authenticated request."""
    op.create_table(
        "staff_access",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("tokens_valid_after", UtcDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "staff_id"),
    )


def drop_staff_access() -> None:
    """Undo :func:`create_staff_access`."""
    op.drop_table("staff_access")


def add_mood_prompt_columns(batch_op: BatchOperations) -> None:
    """Add a client's mood prompt setting to the table ``batch_op`` alters: local
    weekdays and local time, both null for none."""
    batch_op.add_column(sa.Column("mood_prompt_weekdays", JSON, nullable=True))
    batch_op.add_column(sa.Column("mood_prompt_local_time", sa.String(length=5), nullable=True))


def drop_mood_prompt_columns(batch_op: BatchOperations) -> None:
    """Undo :func:`add_mood_prompt_columns` on the table ``batch_op`` alters."""
    batch_op.drop_column("mood_prompt_local_time")
    batch_op.drop_column("mood_prompt_weekdays")


def create_notify_trigger(table: str, channel: str) -> None:
    """``NOTIFY channel`` from every statement that inserts rows into ``table`` (``COPY``
    included; PostgreSQL folds one transaction's into one and delivers it at commit), so
    the loop that works through the table is woken by the commit
    (:mod:`shared.db.commit_wakeup`). Updates do not notify: the loop's own marking would
    wake it. Nothing on SQLite, where the loop polls."""
    if op.get_bind().dialect.name != "postgresql":
        return
    function = f"notify_{table}_inserted"
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM inserted) THEN
                PERFORM pg_notify('{channel}', '');
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {table}_inserted AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


def drop_notify_trigger(table: str) -> None:
    """Undo :func:`create_notify_trigger`."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_inserted ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS notify_{table}_inserted()")
