"""staff access projection, idempotency keys scoped to the caller

Revision ID: 0005_staff_projection
Revises: 0004
Create Date: 2026-11-30 12:00:00

``staff_access``: each staff member's standing from intake's ``staff.access_changed``,
checked on every authenticated request. ``idempotency_keys.scope`` grows to hold
"<tenant id>:<staff id>".
"""

from collections.abc import Sequence

from shared.db import migration_steps

revision: str = "0005_staff_projection"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_steps.create_staff_access()
    migration_steps.widen_idempotency_scope()


def downgrade() -> None:
    migration_steps.narrow_idempotency_scope()
    migration_steps.drop_staff_access()
