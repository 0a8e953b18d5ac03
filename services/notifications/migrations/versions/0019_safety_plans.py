"""safety plans

Revision ID: 0019_safety_plans
Revises: 0017_client_goals
Create Date: 2026-12-08 00:30:00

A client's safety plan (Stanley-Brown's six sections): the plan (its current version and
the client's confirmation) and every version of it. Health data: erased with the client.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0019_safety_plans"
down_revision: str | Sequence[str] | None = "0017_client_goals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "client_acknowledged_at", shared.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "client_id", name="uq_safety_plans_client"),
    )
    op.create_table(
        "safety_plan_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sections", migration_steps.JSON, nullable=False),
        sa.Column("author", sa.String(length=10), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["safety_plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "version", name="uq_safety_plan_versions_version"),
    )
    with op.batch_alter_table("safety_plan_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_safety_plan_versions_client", ["tenant_id", "client_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("safety_plan_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_plan_versions_client")
    op.drop_table("safety_plan_versions")
    op.drop_table("safety_plans")
