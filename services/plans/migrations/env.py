"""Alembic environment of the plans service (its own database)."""

from services.plans.models import Base
from shared.db.alembic_env import run_migrations

run_migrations(Base.metadata)
