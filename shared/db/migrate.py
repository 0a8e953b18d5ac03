"""Run a service's Alembic migrations against its own database.

Alembic is imported only here, when a migration runs: importing it announces its plugins
in the log of every process that merely starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from shared.db.engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(migrations_dir: Path, url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(
    migrations_dir: Path, url: str, revision: str = "head"
) -> tuple[str | None, str | None]:
    """Create or upgrade the schema to ``revision``; return the revisions before and after."""
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    before = current_revision(url)
    command.upgrade(alembic_config(migrations_dir, url), revision)
    return before, current_revision(url)


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def at_head(migrations_dir: Path, url: str) -> bool:
    """Whether the database at ``url`` has every migration of ``migrations_dir`` applied
    (False if it cannot be reached yet)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(migrations_dir, url)).get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:
        return False
    finally:
        engine.dispose()
    return current == heads
