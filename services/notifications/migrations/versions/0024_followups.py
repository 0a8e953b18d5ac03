"""follow-ups of supporters

Revision ID: 0024_followups
Revises: 0023_latency
Create Date: 2026-12-08 01:00:00

The organisation's default escalation windows (``organisation.escalation_defaults_set``),
for clients whose plan has none of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0024_followups"
down_revision: str | Sequence[str] | None = "0023_latency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_escalations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_reminder_after_minutes", sa.Integer(), nullable=False),
        sa.Column("supporters_after_missed", sa.Integer(), nullable=False),
        sa.Column("supporters_after_minutes", sa.Integer(), nullable=False),
        sa.Column("set_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("organisation_escalations")
