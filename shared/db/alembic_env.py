"""The body of every service's ``migrations/env.py``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData

from shared.db.engine import make_engine
from shared.db.migrate import COMPATIBILITY_TABLE, record_compatibility


def _not_the_compatibility_table(name, type_, _parent_names) -> bool:
    # Kept by the migrations themselves, not by the models: autogenerate leaves it be.
    return not (type_ == "table" and name == COMPATIBILITY_TABLE)


def run_migrations(target_metadata: MetaData) -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    options = {
        "target_metadata": target_metadata,
        "include_name": _not_the_compatibility_table,
        # SQLite cannot ALTER most things in place: batch mode rebuilds tables.
        "render_as_batch": url.startswith("sqlite"),
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
                # Which code the schema now serves (shared.db.migrate), in the same
                # transaction as the migrations where DDL is transactional (PostgreSQL).
                record_compatibility(connection, context.script)
            if connection.in_transaction():  # SQLite: each migration committed its own
                connection.commit()
    finally:
        engine.dispose()
