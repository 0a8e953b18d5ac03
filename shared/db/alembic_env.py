"""The body of every service's ``migrations/env.py``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData

from shared.db.engine import make_engine


def run_migrations(target_metadata: MetaData) -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    options = {
        "target_metadata": target_metadata,
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
    finally:
        engine.dispose()
