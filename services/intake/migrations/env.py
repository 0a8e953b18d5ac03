"""Alembic environment of the intake service (its own database)."""

from services.intake.models import Base
from shared.db.alembic_env import run_migrations

run_migrations(Base.metadata)
