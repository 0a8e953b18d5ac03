"""What PgBouncer in transaction mode needs of the services' connections: no prepared
statements, asked for in the database URL (deploy/README.md, connection budget)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.db import make_engine
from tests.conftest import BACKEND


@pytest.mark.skipif(not BACKEND.startswith("rabbitmq"), reason="psycopg on PostgreSQL")
def test_a_database_url_can_turn_prepared_statements_off(plans_runtime):
    url = plans_runtime.settings.database_url("plans")
    for query, threshold in (("?prepare_threshold=none", None), ("?prepare_threshold=2", 2)):
        engine = make_engine(url + query)
        try:
            with engine.connect() as connection:
                for _ in range(6):  # past psycopg's default of 5 runs before preparing
                    assert connection.execute(text("SELECT 1")).scalar() == 1
                assert connection.connection.driver_connection.prepare_threshold == threshold
                prepared = connection.execute(
                    text("SELECT count(*) FROM pg_prepared_statements")
                ).scalar()
        finally:
            engine.dispose()
        assert (prepared == 0) == (threshold is None)
