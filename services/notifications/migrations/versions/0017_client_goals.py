"""client goals

Revision ID: 0017_client_goals
Revises: 0016_client_ratings
Create Date: 2026-12-07 20:00:00

Each goal of the client's plan as plans announced it (``goal.created``,
``goal.updated``): title, status and progress, for the client's own page. Erased with
the client.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0017_client_goals"
down_revision: str | Sequence[str] | None = "0016_client_ratings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_goals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("changed_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "goal_id"),
    )
    with op.batch_alter_table("client_goals", schema=None) as batch_op:
        batch_op.create_index("ix_client_goals_client", ["tenant_id", "client_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("client_goals", schema=None) as batch_op:
        batch_op.drop_index("ix_client_goals_client")
    op.drop_table("client_goals")
