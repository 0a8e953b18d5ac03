"""staff tokens cut-off, idempotency keys scoped to the caller

Revision ID: 0005_staff_tokens
Revises: 0004
Create Date: 2026-11-30 12:00:00

``staff.tokens_valid_after``: access tokens issued before it are refused.
``idempotency_keys.scope`` grows to hold "<tenant id>:<staff id>".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0005_staff_tokens"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "tokens_valid_after", shared.db.types.UtcDateTime(timezone=True), nullable=True
            )
        )
    migration_steps.widen_idempotency_scope()


def downgrade() -> None:
    migration_steps.narrow_idempotency_scope()
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("tokens_valid_after")
