"""commits that write outbox and nudges rows wake the loop that works through them

Revision ID: 0023_latency
Revises: 0022_growth_indexes
Create Date: 2026-12-08 00:40:00

A statement-level trigger runs ``NOTIFY`` on the table's channel when rows are
inserted (PostgreSQL only), so the relay (and, for nudges, the dispatcher) is woken by the
commit instead of its next poll: ``shared/db/commit_wakeup.py``.
"""

from collections.abc import Sequence

from shared.db.migration_steps import create_notify_trigger, drop_notify_trigger

revision: str = "0023_latency"
down_revision: str | Sequence[str] | None = "0022_growth_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_notify_trigger("outbox", "outbox")
    create_notify_trigger("nudges", "nudges")


def downgrade() -> None:
    drop_notify_trigger("nudges")
    drop_notify_trigger("outbox")
