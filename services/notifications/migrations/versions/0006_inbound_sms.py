"""inbound sms ids, keyword order, coach scope and intake's preferred channels

Revision ID: 0006_inbound_sms
Revises: 0005_staff_projection
Create Date: 2026-11-30 12:00:00

Inbound texts are recorded by the provider's message id so a repeat changes nothing;
each contact keeps when its latest STOP/START acted, who referred it (coach scope) and
intake's preferred channels as last projected.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0006_inbound_sms"
down_revision: str | Sequence[str] | None = "0005_staff_projection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("message_sid", sa.String(length=80), nullable=False),
        sa.Column("received_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_sid"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referred_by", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("intake_preferred_channels", migration_steps.JSON, nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_keyword_at", shared.db.types.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("last_keyword_at")
        batch_op.drop_column("intake_preferred_channels")
        batch_op.drop_column("referred_by")
    op.drop_table("inbound_messages")
