"""staff access projection, idempotency keys scoped to the caller

Revision ID: 0005_staff_projection
Revises: 0004
Create Date: 2026-11-30 12:00:00

``staff_access``: each staff member's standing from intake's ``staff.access_changed``,
checked on every authenticated request. ``idempotency_keys.scope`` grows to hold
"<tenant id>:<staff id>".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0005_staff_projection"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_access",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("tokens_valid_after", shared.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "staff_id"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "scope", existing_type=sa.String(length=64), type_=sa.String(length=80)
        )


def downgrade() -> None:
    # Caller-scoped keys do not fit the old column; they are only stored answers.
    op.execute("DELETE FROM idempotency_keys WHERE length(scope) > 64")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "scope", existing_type=sa.String(length=80), type_=sa.String(length=64)
        )
    op.drop_table("staff_access")
