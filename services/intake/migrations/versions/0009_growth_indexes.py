"""the outbox indexed by aggregate, for erasure

Revision ID: 0009_growth_indexes
Revises: 0006_phone_confirmed
Create Date: 2026-12-08 00:50:00

Erasure deletes a client's unpublished outbox rows and redacts the published ones
(``erasure._scrub_outbox``), found by ``aggregate_id``: without an index, a read of every
row of the outbox's retention (``make bench BENCH=growth``, ``tests/integration/
test_query_plans.py``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_growth_indexes"
down_revision: str | Sequence[str] | None = "0006_phone_confirmed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_aggregate", "outbox", ["aggregate_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_aggregate", table_name="outbox")
