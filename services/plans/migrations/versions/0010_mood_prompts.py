"""mood prompts

Revision ID: 0010_mood_prompts
Revises: 0009_client_replies
Create Date: 2026-11-30 12:40:00

A plan's self check-in prompts: local weekdays and local time, both null for none.
"""

from collections.abc import Sequence

from alembic import op

from shared.db import migration_steps

revision: str = "0010_mood_prompts"
down_revision: str | Sequence[str] | None = "0009_client_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        migration_steps.add_mood_prompt_columns(batch_op)


def downgrade() -> None:
    with op.batch_alter_table("recovery_plans", schema=None) as batch_op:
        migration_steps.drop_mood_prompt_columns(batch_op)
