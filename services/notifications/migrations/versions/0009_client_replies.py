"""client replies and crisis settings

Revision ID: 0009_client_replies
Revises: 0007_weekly_digest
Create Date: 2026-11-30 12:00:00

A client's replies (recorded once per provider message) and each organisation's crisis
phrases and crisis text.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0009_client_replies"
down_revision: str | Sequence[str] | None = "0007_weekly_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("intent", sa.String(length=10), nullable=False),
        sa.Column("received_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_replies", schema=None) as batch_op:
        batch_op.create_index("ix_client_replies_client", ["tenant_id", "client_id"], unique=False)
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crisis_phrases", migration_steps.JSON, nullable=True))
        batch_op.add_column(sa.Column("crisis_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("crisis_text")
        batch_op.drop_column("crisis_phrases")
    with op.batch_alter_table("client_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_client_replies_client")
    op.drop_table("client_replies")
