"""send rates shared by every dispatcher

Revision ID: 0012_rate_limits
Revises: 0010_mood_prompts
Create Date: 2026-11-30 12:40:00

One row per provider rate (``EMAIL_RATE_PER_SECOND``, ``SMS_RATE_PER_SECOND`` per sending
number): the next free send slot, reserved atomically by whichever dispatcher sends next.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_rate_limits"
down_revision: str | Sequence[str] | None = "0010_mood_prompts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_rates",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("next_slot", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("send_rates")
