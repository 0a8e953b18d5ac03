"""weekly digest: the client's digest time and the plan facts it speaks of

Revision ID: 0007_weekly_digest
Revises: 0004
Create Date: 2026-11-30 12:00:00

Contacts get the digest's weekday and local time (default Sunday 17:00; both null: no
digest). Three small projections of plans' events hold what a digest says: action-step
occurrences, goals achieved and check-ins.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0007_weekly_digest"
down_revision: str | Sequence[str] | None = "0006_inbound_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_weekday", sa.String(length=3), nullable=True, server_default="sun")
        )
        batch_op.add_column(
            sa.Column(
                "digest_local_time", sa.String(length=5), nullable=True, server_default="17:00"
            )
        )
    op.create_table(
        "planned_steps",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("occurrence_key", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("due_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "action_id", "occurrence_key"),
    )
    op.create_index(
        "ix_planned_steps_client", "planned_steps", ["tenant_id", "client_id", "due_at"]
    )
    op.create_table(
        "achieved_goals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("achieved_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "goal_id"),
    )
    op.create_index(
        "ix_achieved_goals_client", "achieved_goals", ["tenant_id", "client_id", "achieved_at"]
    )
    op.create_table(
        "planned_checkins",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("checkin_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "checkin_id"),
    )
    op.create_index(
        "ix_planned_checkins_client", "planned_checkins", ["tenant_id", "client_id", "starts_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_planned_checkins_client", table_name="planned_checkins")
    op.drop_table("planned_checkins")
    op.drop_index("ix_achieved_goals_client", table_name="achieved_goals")
    op.drop_table("achieved_goals")
    op.drop_index("ix_planned_steps_client", table_name="planned_steps")
    op.drop_table("planned_steps")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("digest_local_time")
        batch_op.drop_column("digest_weekday")
