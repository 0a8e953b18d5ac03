"""inbound SMS and reply ids indexed by time, for housekeeping

Revision ID: 0022_growth_indexes
Revises: 0020_supporters
Create Date: 2026-12-08 00:30:00

Housekeeping forgets inbound SMS ids and recorded reply ids after
``NUDGE_RETENTION_DAYS`` (``services/notifications/retention.py``); these indexes let it
find them without reading the tables (finished nudges go through ``ix_nudges_due``).
And the outbox by aggregate: erasure scrubs a client's reply texts from it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_growth_indexes"
down_revision: str | Sequence[str] | None = "0020_supporters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_inbound_messages_received_at", "inbound_messages", ["received_at"], unique=False
    )
    op.create_index(
        "ix_client_replies_received_at", "client_replies", ["received_at"], unique=False
    )
    op.create_index("ix_outbox_aggregate", "outbox", ["aggregate_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_aggregate", table_name="outbox")
    op.drop_index("ix_client_replies_received_at", table_name="client_replies")
    op.drop_index("ix_inbound_messages_received_at", table_name="inbound_messages")
