"""whether the client's phone is confirmed, for the caseload

Revision ID: 0012_phone_confirmed
Revises: 0010_mood_prompts
Create Date: 2026-12-08 10:00:00

``client_profiles.phone_hash``: the client's phone as ``phone_hash`` digests it;
``phone_confirmed_at``: when the person with it confirmed, by replying, that the record is
theirs (notifications' ``contact.phone_confirmed``); ``phone_confirmation_as_of``: the
newest such event applied. Profiles written before learn their phone's digest from the
client's next ``client.updated``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0012_phone_confirmed"
down_revision: str | Sequence[str] | None = "0010_mood_prompts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = shared.db.types.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table("client_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_hash", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("phone_confirmed_at", UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("phone_confirmation_as_of", UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("client_profiles", schema=None) as batch_op:
        batch_op.drop_column("phone_confirmation_as_of")
        batch_op.drop_column("phone_confirmed_at")
        batch_op.drop_column("phone_hash")
