"""pending nudges indexed in claim order

Revision ID: 0013_claim_index
Revises: 0012_rate_limits
Create Date: 2026-11-30 15:00:00

A partial index of pending nudges (``scheduled``, ``deferred``) on priority and due time:
the dispatcher's claim reads each priority level's oldest due nudges from it instead of
sorting every due row (``services/notifications/dispatcher/claiming.py``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_claim_index"
down_revision: str | Sequence[str] | None = "0012_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "state IN ('scheduled', 'deferred')"


def upgrade() -> None:
    op.create_index(
        "ix_nudges_pending",
        "nudges",
        ["priority", "due_at"],
        unique=False,
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_nudges_pending", table_name="nudges")
