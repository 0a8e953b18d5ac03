"""Run a service's Alembic migrations against its own database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(migrations_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(migrations_dir, url), revision)
