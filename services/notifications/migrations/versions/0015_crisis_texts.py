"""crisis texts by region

Revision ID: 0015_crisis_texts
Revises: 0014_reply_routing
Create Date: 2026-12-07 12:00:00

An organisation's own crisis texts by country (ISO 3166 alpha-2 -> text), tried before
the platform's for a client of that country. The organisation's crisis phrases now add
to the platform's patterns instead of replacing them: the column stays as it is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import migration_steps

revision: str = "0015_crisis_texts"
down_revision: str | Sequence[str] | None = "0014_reply_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crisis_texts", migration_steps.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("crisis_texts")
