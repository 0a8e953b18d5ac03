"""journal entries (the client's replies)

Revision ID: 0009_client_replies
Revises: 0006_coach_view
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0009_client_replies"
down_revision: str | Sequence[str] | None = "0006_coach_view"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("intent", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Uuid(), nullable=True),
        sa.Column("occurrence_key", sa.String(length=100), nullable=True),
        sa.Column("received_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["recovery_plans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index("ix_journal_client", ["tenant_id", "client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_entries_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_plan_id"))
        batch_op.drop_index("ix_journal_client")
    op.drop_table("journal_entries")
