"""crisis alerts that someone owns

Revision ID: 0018_crisis_alerts
Revises: 0019_safety_plans
Create Date: 2026-12-08 00:20:00

Each crisis alert gets a state (``open`` -> ``acknowledged`` -> ``resolved``), who
acknowledged and resolved it and when, the resolution note, and when it goes to the
on-call list next (``escalate_at``, ``escalations`` so far). Alerts from before stay
``open`` without escalation. An organisation's crisis settings gain
``acknowledge_within_minutes`` and ``on_call``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0018_crisis_alerts"
down_revision: str | Sequence[str] | None = "0019_safety_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENT = shared.db.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("crisis_alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=12), nullable=False, server_default="open")
        )
        batch_op.add_column(sa.Column("escalate_at", _MOMENT, nullable=True))
        batch_op.add_column(
            sa.Column("escalations", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("acknowledged_at", _MOMENT, nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_via", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", _MOMENT, nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
    op.create_index("ix_crisis_alerts_state", "crisis_alerts", ["tenant_id", "state", "opened_at"])
    op.create_index("ix_crisis_alerts_escalation", "crisis_alerts", ["state", "escalate_at"])
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledge_within_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("on_call", migration_steps.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("on_call")
        batch_op.drop_column("acknowledge_within_minutes")
    op.drop_index("ix_crisis_alerts_escalation", table_name="crisis_alerts")
    op.drop_index("ix_crisis_alerts_state", table_name="crisis_alerts")
    with op.batch_alter_table("crisis_alerts", schema=None) as batch_op:
        for column in (
            "resolution_note",
            "resolved_by",
            "resolved_at",
            "acknowledged_via",
            "acknowledged_by",
            "acknowledged_at",
            "escalations",
            "escalate_at",
            "state",
        ):
            batch_op.drop_column(column)
