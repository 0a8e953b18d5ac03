"""locales

Revision ID: 0021_locales
Revises: 0024_followups
Create Date: 2026-12-08 00:10:00

Messages in the client's language: the locale each nudge was written in
(``nudges.locale_used``), the organisation's default locale, and an organisation's
templates per (kind, channel, locale). Templates written before languages existed were
in English: they become the organisation's English templates.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0021_locales"
down_revision: str | Sequence[str] | None = "0024_followups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "tenant_id, kind, channel, subject, text, html, updated_at"


def _overrides_table(name: str, *, with_locale: bool) -> None:
    key = (
        ("tenant_id", "kind", "channel", "locale")
        if with_locale
        else ("tenant_id", "kind", "channel")
    )
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        *([sa.Column("locale", sa.String(length=35), nullable=False)] if with_locale else []),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("updated_at", shared.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )


def upgrade() -> None:
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale_used", sa.String(length=35), nullable=True))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_locale", sa.String(length=35), nullable=True))
    _overrides_table("template_overrides_by_locale", with_locale=True)
    op.execute(
        f"INSERT INTO template_overrides_by_locale ({_COLUMNS}, locale) "
        f"SELECT {_COLUMNS}, 'en' FROM template_overrides"
    )
    op.drop_table("template_overrides")
    op.rename_table("template_overrides_by_locale", "template_overrides")


def downgrade() -> None:
    _overrides_table("template_overrides_one_locale", with_locale=False)
    op.execute(
        f"INSERT INTO template_overrides_one_locale ({_COLUMNS}) "
        f"SELECT {_COLUMNS} FROM template_overrides WHERE locale = 'en'"
    )
    op.drop_table("template_overrides")
    op.rename_table("template_overrides_one_locale", "template_overrides")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("default_locale")
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_column("locale_used")
