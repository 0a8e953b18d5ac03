"""coach view: client profiles, staff and organisation names, report notes, measures

Revision ID: 0006_coach_view
Revises: 0005_staff_projection
Create Date: 2026-11-30 12:00:00

What the caseload and the plan-review report need beyond the plan itself: the client's
name and external reference, the coach's and organisation's names (all from intake's
events), the coach's report notes, and K10 / WEMWBS at baseline and latest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0006_coach_view"
down_revision: str | Sequence[str] | None = "0005_staff_projection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_profiles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("preferred_name", sa.String(length=100), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("external_reference", sa.String(length=100), nullable=True),
        sa.Column("as_of", shared.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "client_id"),
    )
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("as_of", shared.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_members_tenant_id", "staff_members", ["tenant_id"], unique=False)
    op.create_table(
        "organisation_profiles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("as_of", shared.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "report_notes",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recommendations", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", shared.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["recovery_plans.id"]),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_index("ix_report_notes_tenant_id", "report_notes", ["tenant_id"], unique=False)
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("baseline_measures", migration_steps.JSON, nullable=True))
        batch_op.add_column(sa.Column("latest_measures", migration_steps.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        batch_op.drop_column("latest_measures")
        batch_op.drop_column("baseline_measures")
    op.drop_index("ix_report_notes_tenant_id", table_name="report_notes")
    op.drop_table("report_notes")
    op.drop_table("organisation_profiles")
    op.drop_index("ix_staff_members_tenant_id", table_name="staff_members")
    op.drop_table("staff_members")
    op.drop_table("client_profiles")
