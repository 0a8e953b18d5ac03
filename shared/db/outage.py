"""Telling a database outage from a statement the database refused."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

# How long a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or used at all (down,
    refusing connections, a connection dropped, the pool exhausted, SQLite locked), as
    opposed to a statement it refused (a constraint, bad data)."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
