"""client ratings

Revision ID: 0016_client_ratings
Revises: 0015_crisis_texts
Create Date: 2026-12-07 19:40:00

Each 1-10 mood reply's rating and time, for the client's own page (their last four
weeks). Erased with the client.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0016_client_ratings"
down_revision: str | Sequence[str] | None = "0015_crisis_texts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_ratings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("rated_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_ratings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_client_ratings_client", ["tenant_id", "client_id", "rated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("client_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_client_ratings_client")
    op.drop_table("client_ratings")
