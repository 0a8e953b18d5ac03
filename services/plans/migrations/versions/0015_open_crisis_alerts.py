"""crisis alerts on the caseload

Revision ID: 0015_open_crisis_alerts
Revises: 0014_completion_withdrawn
Create Date: 2026-12-08 00:40:00

``crisis_alert_states``: each client's crisis alert as notifications announced it
(``crisis_alert.opened``, ``.acknowledged``, ``.resolved``), so that the caseload puts a
client with one not yet resolved first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0015_open_crisis_alerts"
down_revision: str | Sequence[str] | None = "0014_completion_withdrawn"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crisis_alert_states",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("opened_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("changed_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index(
        "ix_crisis_alert_states_client",
        "crisis_alert_states",
        ["tenant_id", "client_id", "state"],
    )


def downgrade() -> None:
    op.drop_index("ix_crisis_alert_states_client", table_name="crisis_alert_states")
    op.drop_table("crisis_alert_states")
