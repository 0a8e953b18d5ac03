"""mood prompts

Revision ID: 0010_mood_prompts
Revises: 0009_client_replies
Create Date: 2026-11-30 12:40:00

Each client's mood prompts as the coach set them in plans: local weekdays, local time,
and when that setting was made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0010_mood_prompts"
down_revision: str | Sequence[str] | None = "0009_client_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        migration_steps.add_mood_prompt_columns(batch_op)
        batch_op.add_column(
            sa.Column(
                "mood_prompts_set_at", shared.db.types.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("mood_prompts_set_at")
        migration_steps.drop_mood_prompt_columns(batch_op)
