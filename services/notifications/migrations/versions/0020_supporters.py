"""supporters

Revision ID: 0020_supporters
Revises: 0018_crisis_alerts
Create Date: 2026-12-08 00:00:00

A client's supporters (trusted contacts), every message they were sent (the disclosure
log), each mood prompt watched for an answer, and each client's escalation windows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types
from shared.db import migration_steps

revision: str = "0020_supporters"
down_revision: str | Sequence[str] | None = "0018_crisis_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = migration_steps.JSON


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, shared.db.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "supporters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("relationship", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("consent_method", sa.String(length=30), nullable=False),
        sa.Column("consent_recorded_by", sa.Uuid(), nullable=True),
        _at("consent_at"),
        sa.Column("crisis_consent_method", sa.String(length=30), nullable=True),
        sa.Column("crisis_consent_recorded_by", sa.Uuid(), nullable=True),
        _at("crisis_consent_at", True),
        _at("invited_at"),
        _at("confirmed_at", True),
        _at("removed_at", True),
        sa.Column("removed_by", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supporters", schema=None) as batch_op:
        batch_op.create_index("ix_supporters_client", ["tenant_id", "client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supporters_phone"), ["phone"], unique=False)
    op.create_table(
        "supporter_disclosures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("supporter_id", sa.Uuid(), nullable=False),
        sa.Column("nudge_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=True),
        sa.Column("supporter_name", sa.String(length=100), nullable=True),
        sa.Column("text", sa.String(length=1000), nullable=True),
        sa.Column("consent", JSON, nullable=True),
        _at("disclosed_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nudge_id"),
    )
    with op.batch_alter_table("supporter_disclosures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supporter_disclosures_client", ["tenant_id", "client_id"], unique=False
        )
    op.create_table(
        "checkin_watches",
        sa.Column("prompt_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        _at("sent_at"),
        _at("answered_at", True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("prompt_id"),
    )
    with op.batch_alter_table("checkin_watches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_watches_client", ["tenant_id", "client_id", "sent_at"], unique=False
        )
    op.create_table(
        "checkin_escalations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("client_reminder_after_minutes", sa.Integer(), nullable=False),
        sa.Column("supporters_after_missed", sa.Integer(), nullable=False),
        sa.Column("supporters_after_minutes", sa.Integer(), nullable=False),
        _at("set_at"),
        sa.PrimaryKeyConstraint("tenant_id", "client_id"),
    )


def downgrade() -> None:
    op.drop_table("checkin_escalations")
    with op.batch_alter_table("checkin_watches", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_watches_client")
    op.drop_table("checkin_watches")
    with op.batch_alter_table("supporter_disclosures", schema=None) as batch_op:
        batch_op.drop_index("ix_supporter_disclosures_client")
    op.drop_table("supporter_disclosures")
    with op.batch_alter_table("supporters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supporters_phone"))
        batch_op.drop_index("ix_supporters_client")
    op.drop_table("supporters")
