"""replies routed to confirmed records only; crisis alerts coalesced

Revision ID: 0014_reply_routing
Revises: 0013_claim_index
Create Date: 2026-12-07 19:00:00

A client's phone is confirmed by the person's own reply (``phone_confirmed_at``, with a
one-time ``phone_code`` for a number on several records); organisations may have their
own sending numbers; crisis texts from numbers no confirmed record has are kept for
follow-up; a coach's crisis alerts are coalesced per client; encouraging nudges wait
after a crisis until a coach acknowledges (``crisis_hold_since``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0014_reply_routing"
down_revision: str | Sequence[str] | None = "0013_claim_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UtcDateTime = shared.db.types.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family_name", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("phone_confirmed_at", UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("phone_code", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("crisis_hold_since", UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_naming", sa.String(length=12), nullable=True))
    # A record that has had SMS replies and is the only one with its number counts as
    # confirmed: the common case keeps working after the upgrade. A number on several
    # records confirms none of them (one may be another organisation's typing): the person
    # confirms theirs with the code their next text carries.
    op.execute(
        "UPDATE contacts SET phone_confirmed_at = updated_at WHERE phone IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM client_replies r WHERE r.tenant_id = contacts.tenant_id "
        "AND r.client_id = contacts.client_id AND r.channel = 'sms') "
        "AND (SELECT count(*) FROM contacts c2 WHERE c2.phone = contacts.phone "
        "AND c2.status <> 'erased') = 1"
    )
    random_code = (
        "CAST(abs(random()) % 9000 + 1000 AS TEXT)"
        if op.get_bind().dialect.name == "sqlite"
        else "CAST(floor(random() * 9000 + 1000) AS INTEGER)::text"
    )
    op.execute(f"UPDATE contacts SET phone_code = {random_code} WHERE phone IS NOT NULL")
    op.create_table(
        "sender_numbers",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index("ix_sender_numbers_tenant_id", "sender_numbers", ["tenant_id"])
    op.create_table(
        "unrouted_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("from_phone", sa.String(length=32), nullable=False),
        sa.Column("why", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_unrouted_messages_tenant_id", "unrouted_messages", ["tenant_id"])
    op.create_index("ix_unrouted_messages_received_at", "unrouted_messages", ["received_at"])
    op.create_table(
        "crisis_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("latest_text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_crisis_alerts_client", "crisis_alerts", ["tenant_id", "client_id", "opened_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_crisis_alerts_client", table_name="crisis_alerts")
    op.drop_table("crisis_alerts")
    op.drop_index("ix_unrouted_messages_received_at", table_name="unrouted_messages")
    op.drop_index("ix_unrouted_messages_tenant_id", table_name="unrouted_messages")
    op.drop_table("unrouted_messages")
    op.drop_index("ix_sender_numbers_tenant_id", table_name="sender_numbers")
    op.drop_table("sender_numbers")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("alert_naming")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("crisis_hold_since")
        batch_op.drop_column("phone_code")
        batch_op.drop_column("phone_confirmed_at")
        batch_op.drop_column("family_name")
