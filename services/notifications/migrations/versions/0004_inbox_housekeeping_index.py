"""inbox housekeeping index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:00:00

Housekeeping deletes inbox rows older than INBOX_RETENTION_DAYS by processed_at.
"""

from collections.abc import Sequence

from shared.db import migration_steps

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_steps.index_inbox_by_processed_at()


def downgrade() -> None:
    migration_steps.drop_inbox_processed_at_index()
