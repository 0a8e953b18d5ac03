"""a Done the client took back

Revision ID: 0014_completion_withdrawn
Revises: 0013_report_quotes
Create Date: 2026-12-07 20:10:00

``action_occurrences.completed_by_reply_id``: the client's Done that completed the
occurrence (null when a coach did, and for every row written before), so that the client
taking it back reopens only what it completed. ``journal_entries.withdrawn_at``: when the
client took a Done back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0014_completion_withdrawn"
down_revision: str | Sequence[str] | None = "0013_report_quotes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_by_reply_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("withdrawn_at", shared.db.types.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("action_occurrences", schema=None) as batch_op:
        batch_op.drop_column("completed_by_reply_id")
