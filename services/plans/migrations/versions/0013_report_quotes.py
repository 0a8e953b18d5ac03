"""the journal entries the plan-review report quotes

Revision ID: 0013_report_quotes
Revises: 0012_phone_confirmed
Create Date: 2026-12-07 19:30:00

``report_notes.quoted_entries``: the ids of the plan's journal entries the coach chose
for the report to quote (the participant's own words); null, as for every row written
before, quotes nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import migration_steps

revision: str = "0013_report_quotes"
down_revision: str | Sequence[str] | None = "0012_phone_confirmed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quoted_entries", migration_steps.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_notes", schema=None) as batch_op:
        batch_op.drop_column("quoted_entries")
