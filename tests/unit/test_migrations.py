"""Each service's Alembic migrations build exactly the schema its models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from shared.db.migrate import alembic_config, upgrade

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["intake", "plans", "notifications"])
def test_migrations_match_the_models(service, tmp_path):
    migrations = ROOT / "services" / service / "migrations"
    url = f"sqlite:///{tmp_path / 'check.db'}"
    upgrade(migrations, url)
    # Raises if autogenerate would find any difference between models and database.
    command.check(alembic_config(migrations, url))
