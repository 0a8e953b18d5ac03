"""preferences templates suppressions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:46:56.265577

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Server defaults fill the new non-null columns of rows that already exist.
    op.create_table(
        "organisations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("help_contact", sa.String(length=200), nullable=True),
        sa.Column("quiet_floor_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_floor_end", sa.String(length=5), nullable=True),
        sa.Column("updated_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "staff",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "staff_id"),
    )
    op.create_table(
        "suppressions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "channel", "address_hash"),
    )
    op.create_table(
        "template_overrides",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("updated_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "channel"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="active")
        )
        batch_op.add_column(
            sa.Column("quiet_start", sa.String(length=5), nullable=False, server_default="21:00")
        )
        batch_op.add_column(
            sa.Column("quiet_end", sa.String(length=5), nullable=False, server_default="08:00")
        )
        batch_op.add_column(
            sa.Column("daily_cap", sa.Integer(), nullable=False, server_default="3")
        )
        batch_op.add_column(
            sa.Column("paused_until", shared.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "preferred_channel", sa.String(length=10), nullable=False, server_default="email"
            )
        )
        batch_op.add_column(
            sa.Column(
                "checkin_reminder_leads",
                migration_steps.JSON,
                nullable=False,
                server_default="[1440, 60]",
            )
        )
        batch_op.create_index(batch_op.f("ix_contacts_phone"), ["phone"], unique=False)

    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=10), nullable=False, server_default="client")
        )
        batch_op.add_column(sa.Column("staff_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("subject_occurrence", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("event_at", shared.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("variables", migration_steps.JSON, nullable=True))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_nudges_provider_id", ["provider_message_id"], unique=False)
        batch_op.create_index("ix_nudges_subject", ["tenant_id", "subject_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    """Downgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_index("ix_nudges_subject")
        batch_op.drop_index("ix_nudges_provider_id")
        batch_op.drop_column("delivery_status")
        batch_op.drop_column("body")
        batch_op.drop_column("variables")
        batch_op.drop_column("priority")
        batch_op.drop_column("event_at")
        batch_op.drop_column("subject_occurrence")
        batch_op.drop_column("subject_id")
        batch_op.drop_column("staff_id")
        batch_op.drop_column("audience")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_phone"))
        batch_op.drop_column("checkin_reminder_leads")
        batch_op.drop_column("preferred_channel")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("daily_cap")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
        batch_op.drop_column("status")

    op.drop_table("template_overrides")
    op.drop_table("suppressions")
    op.drop_table("staff")
    op.drop_table("organisations")
    # ### end Alembic commands ###
