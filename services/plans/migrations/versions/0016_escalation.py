"""escalation of a missed self check-in

Revision ID: 0016_escalation
Revises: 0015_open_crisis_alerts
Create Date: 2026-12-08 00:00:00

Each plan's escalation windows (null: the organisation's defaults), and the
organisation's defaults in its settings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_escalation"
down_revision: str | Sequence[str] | None = "0015_open_crisis_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_COLUMNS = (
    "escalation_client_reminder_after_minutes",
    "escalation_supporters_after_missed",
    "escalation_supporters_after_minutes",
)
DEFAULTS = {
    "escalation_client_reminder_after_minutes": "30",
    "escalation_supporters_after_missed": "1",
    "escalation_supporters_after_minutes": "120",
}


def upgrade() -> None:
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        for name in PLAN_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    with op.batch_alter_table("organisation_settings", schema=None) as batch_op:
        for name, default in DEFAULTS.items():
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=default)
            )


def downgrade() -> None:
    with op.batch_alter_table("organisation_settings", schema=None) as batch_op:
        for name in DEFAULTS:
            batch_op.drop_column(name)
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        for name in PLAN_COLUMNS:
            batch_op.drop_column(name)
