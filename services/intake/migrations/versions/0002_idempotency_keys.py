"""idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:42:19.134755

"""

from collections.abc import Sequence

from shared.db import migration_steps

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    migration_steps.create_idempotency_keys()


def downgrade() -> None:
    """Downgrade schema."""
    migration_steps.drop_idempotency_keys()
