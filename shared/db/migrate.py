"""Run a service's Alembic migrations against its own database, and say whether a
database serves this code.

Alembic is imported only here, when a migration runs: importing it announces its plugins
in the log of every process that merely starts.

**Which schema serves which code** (the rule ``coaching await-schema`` and ``coaching
migrate`` follow; deploy/README.md, "Upgrades and rollbacks"). A migration module says
``backward_compatible = True`` when the code of the revision before it still runs on
the schema after it: it only adds (a table, a nullable column, an index) and removes
nothing that code reads or writes. Undeclared means False. Each time migrations run,
the revisions the schema now serves are written into the database itself, in
:data:`COMPATIBILITY_TABLE`: the current revision, then each older one for as long as
the migration above it is backward compatible. Older code cannot know a newer
release's migrations, but it can read that list: a database whose revision it does not
know is *ahead*, and serves it when its own head is on the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from shared.db.engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Kept by every service's migrations (``shared.db.alembic_env``), outside its models.
COMPATIBILITY_TABLE = "schema_compatibility"
_COMPATIBILITY = sa.Table(
    COMPATIBILITY_TABLE,
    sa.MetaData(),
    sa.Column("revision", sa.String(64), primary_key=True),
)


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


def served_revisions(script: ScriptDirectory, heads: Iterable[str]) -> set[str]:
    """The revisions whose code runs on a schema at ``heads``: each head, then going back
    each parent for as long as the migration above it is ``backward_compatible``."""
    served = set()
    for head in heads:
        revision = script.get_revision(head)
        served.add(revision.revision)
        while getattr(revision.module, "backward_compatible", False) and isinstance(
            revision.down_revision, str
        ):
            served.add(revision.down_revision)
            revision = script.get_revision(revision.down_revision)
    return served


def record_compatibility(connection: sa.Connection, script: ScriptDirectory) -> None:
    """Write which code revisions the schema serves, in the migrations' own transaction
    (so no reader ever sees a new revision with an old list)."""
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(connection).get_current_heads()
    _COMPATIBILITY.create(connection, checkfirst=True)
    connection.execute(_COMPATIBILITY.delete())
    served = sorted(served_revisions(script, heads))
    if served:
        connection.execute(_COMPATIBILITY.insert(), [{"revision": r} for r in served])


@dataclass(frozen=True)
class SchemaState:
    """Where a service's database stands against the code's migrations."""

    code_head: frozenset[str]
    database_head: frozenset[str]  # empty: never migrated (or unreachable)
    serves: frozenset[str]  # what the database says it serves (COMPATIBILITY_TABLE)
    unknown: frozenset[str]  # database revisions this code has no migration for
    reachable: bool = True

    @property
    def current(self) -> bool:
        return self.reachable and self.database_head == self.code_head

    @property
    def ahead_and_compatible(self) -> bool:
        """A newer release migrated it, and said its schema still serves this code."""
        return bool(self.reachable and self.unknown and self.code_head <= self.serves)

    @property
    def serves_this_code(self) -> bool:
        return self.current or self.ahead_and_compatible

    def describe(self) -> str:
        database = ", ".join(sorted(self.database_head)) or "empty"
        code = ", ".join(sorted(self.code_head))
        if not self.reachable:
            return "database unreachable"
        if self.current:
            return f"database at revision {database}, this release's head"
        if self.ahead_and_compatible:
            return (
                f"database at revision {database}, ahead of this release's {code} "
                "and compatible with it"
            )
        if self.unknown:
            return (
                f"database at revision {database}, unknown to this release (head {code}) "
                "and not declared compatible with it"
            )
        return f"database at revision {database}, behind this release's {code}"


def schema_state(migrations_dir: Path, url: str) -> SchemaState:
    """Where the database at ``url`` stands against ``migrations_dir`` (unreachable if it
    cannot be reached yet)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(migrations_dir, url))
    code_head = frozenset(script.get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            database_head = frozenset(MigrationContext.configure(connection).get_current_heads())
            serves = frozenset()
            if sa.inspect(connection).has_table(COMPATIBILITY_TABLE):
                revisions = connection.execute(sa.select(_COMPATIBILITY.c.revision))
                serves = frozenset(revisions.scalars())
    except Exception:
        return SchemaState(code_head, frozenset(), frozenset(), frozenset(), reachable=False)
    finally:
        engine.dispose()
    known = {revision.revision for revision in script.walk_revisions()}
    return SchemaState(code_head, database_head, serves, database_head - known)
