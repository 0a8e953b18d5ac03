"""mood prompts

Revision ID: 0010_mood_prompts
Revises: 0009_client_replies
Create Date: 2026-11-30 12:40:00

A plan's self check-in prompts: local weekdays and local time, both null for none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_mood_prompts"
down_revision: str | Sequence[str] | None = "0009_client_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mood_prompt_weekdays",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("mood_prompt_local_time", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        batch_op.drop_column("mood_prompt_local_time")
        batch_op.drop_column("mood_prompt_weekdays")
