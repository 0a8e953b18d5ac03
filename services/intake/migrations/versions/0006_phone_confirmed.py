"""whether the client's phone is confirmed

Revision ID: 0006_phone_confirmed
Revises: 0005_staff_tokens
Create Date: 2026-12-08 10:00:00

``clients.phone_confirmed_at``: when the person with the client's phone confirmed, by
replying, that the record is theirs (notifications' ``contact.phone_confirmed``), null
until then; ``clients.phone_confirmation_as_of``: the newest such event applied.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0006_phone_confirmed"
down_revision: str | Sequence[str] | None = "0005_staff_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phone_confirmed_at", shared.db.types.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "phone_confirmation_as_of",
                shared.db.types.UtcDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("phone_confirmation_as_of")
        batch_op.drop_column("phone_confirmed_at")
