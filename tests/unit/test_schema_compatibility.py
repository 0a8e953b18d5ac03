"""Upgrades and rollbacks (deploy/README.md): a pod of the previous release that starts
after the next release migrated its database runs, when the next release's migrations
declared themselves backward compatible, and waits (then fails) when they did not.
"Previous release" is this code; "next release" is this code's migrations and more."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from coaching.operations import cmd_await_schema, cmd_migrate
from coaching.registry import load_settings
from shared.db.migrate import alembic_config, current_revision, schema_state, upgrade

PLANS_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "plans" / "migrations"

NEXT_MIGRATION = '''"""{name}"""

from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None
backward_compatible = {compatible}


def upgrade() -> None:
    {upgrade}


def downgrade() -> None:
    pass
'''


def _head(migrations: Path) -> str:
    return ScriptDirectory.from_config(alembic_config(migrations, "sqlite://")).get_current_head()


@pytest.fixture
def plans(tmp_path, monkeypatch):
    """This release's settings, on a SQLite plans database."""
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PLANS_DATABASE_URL", url)
    return load_settings()


def _next_release(tmp_path: Path, *migrations: tuple[str, bool, str]) -> Path:
    """This release's plans migrations and, after them, ``(revision, compatible, upgrade)``."""
    folder = tmp_path / "next-release-migrations"
    shutil.copytree(PLANS_MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    parent = _head(PLANS_MIGRATIONS)
    for revision, compatible, step in migrations:
        (folder / "versions" / f"{revision}.py").write_text(
            NEXT_MIGRATION.format(
                name=revision,
                revision=revision,
                down_revision=parent,
                compatible=compatible,
                upgrade=step,
            )
        )
        parent = revision
    return folder


ADD_A_TABLE = 'op.create_table("journal_tags", sa.Column("id", sa.Integer, primary_key=True))'
ADD_A_COLUMN = 'op.add_column("goals", sa.Column("tag", sa.String(20), nullable=True))'
DROP_A_COLUMN = 'with op.batch_alter_table("goals") as batch:\n        batch.drop_column("title")'


def test_a_database_the_next_release_expanded_serves_this_release(plans, tmp_path):
    url = plans.database_url("plans")
    upgrade(
        _next_release(tmp_path, ("n1_tags", True, ADD_A_TABLE), ("n2_tag", True, ADD_A_COLUMN)),
        url,
    )

    state = schema_state(PLANS_MIGRATIONS, url)
    assert state.unknown == {"n2_tag"} and state.ahead_and_compatible
    assert cmd_await_schema(plans, "plans", timeout=0) == 0
    # The rolled-back release's migrate Job leaves it as it is, and succeeds.
    assert cmd_migrate(plans, ["plans"]) == 0
    assert current_revision(url) == "n2_tag"


def test_a_database_the_next_release_contracted_does_not_serve_this_release(
    plans, tmp_path, capsys
):
    url = plans.database_url("plans")
    upgrade(
        _next_release(tmp_path, ("n1_tags", True, ADD_A_TABLE), ("n2_drop", False, DROP_A_COLUMN)),
        url,
    )

    assert not schema_state(PLANS_MIGRATIONS, url).serves_this_code
    assert cmd_await_schema(plans, "plans", timeout=0) == 1
    assert "not declared compatible" in capsys.readouterr().err
    assert cmd_migrate(plans, ["plans"]) == 1
    assert current_revision(url) == "n2_drop"


def test_compatibility_reaches_back_only_through_compatible_migrations(plans, tmp_path):
    """Two releases on: the one before contracted, so this release is not served."""
    url = plans.database_url("plans")
    upgrade(
        _next_release(tmp_path, ("n1_drop", False, DROP_A_COLUMN), ("n2_tags", True, ADD_A_TABLE)),
        url,
    )
    assert cmd_await_schema(plans, "plans", timeout=0) == 1


def test_a_database_behind_this_release_is_waited_for(plans):
    url = plans.database_url("plans")
    parent = ScriptDirectory.from_config(alembic_config(PLANS_MIGRATIONS, url)).get_revision(
        _head(PLANS_MIGRATIONS)
    )
    upgrade(PLANS_MIGRATIONS, url, parent.down_revision)
    assert cmd_await_schema(plans, "plans", timeout=0) == 1
    assert cmd_migrate(plans, ["plans"]) == 0
    assert cmd_await_schema(plans, "plans", timeout=0) == 0


def test_migrations_still_build_exactly_the_models_schema_with_the_compatibility_table(plans):
    from alembic import command

    url = plans.database_url("plans")
    upgrade(PLANS_MIGRATIONS, url)
    assert schema_state(PLANS_MIGRATIONS, url).serves == {_head(PLANS_MIGRATIONS)}
    command.check(alembic_config(PLANS_MIGRATIONS, url))  # the table is not the models'
