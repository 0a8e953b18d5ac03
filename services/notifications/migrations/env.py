"""Alembic environment of the notifications service (its own database)."""

from services.notifications.models import Base
from shared.db.alembic_env import run_migrations

run_migrations(Base.metadata)
