"""Telling a database outage from a statement the database refused."""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc

from shared.backoff import Backoff

# How long a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or used at all (down,
    refusing connections, a connection dropped, the pool exhausted, SQLite locked), as
    opposed to a statement it refused (a constraint, bad data)."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


class LoopBackoff:
    """How long a polling loop (relay, dispatcher) waits after a failed round.

    A database outage is expected weather, not a bug: it is logged as one warning line
    without a traceback, counted (``coaching_database_unavailable_total``), and the wait
    doubles from :data:`FIRST_WAIT_SECONDS` up to :data:`LONGEST_WAIT_SECONDS`, jittered
    (``shared.backoff``) so that every process does not come back at the same instant
    when the database does. Any other failure is logged with its traceback and waits one
    second. A good round resets it.
    """

    FIRST_WAIT_SECONDS = 0.5
    LONGEST_WAIT_SECONDS = 5.0

    def __init__(
        self,
        logger: logging.Logger,
        service: str,
        process: str,
        backoff: Backoff | None = None,
    ):
        self.logger = logger
        self.service = service
        self.process = process
        self.backoff = backoff or Backoff(self.FIRST_WAIT_SECONDS, self.LONGEST_WAIT_SECONDS)
        self._outages = 0  # rounds failed in a row for want of the database

    def failed(self, exc: BaseException) -> float:
        """Log ``exc`` as it deserves; return how long to wait before the next round."""
        if not is_database_outage(exc):
            self.logger.error(f"{self.process} round failed; retrying", exc_info=exc)
            return 1.0
        from shared.metrics import DATABASE_UNAVAILABLE

        DATABASE_UNAVAILABLE.labels(self.service, self.process).inc()
        self._outages += 1
        wait = self.backoff.delay(self._outages)
        self.logger.warning(
            "database unavailable; backing off",
            extra={"role": self.process, "error": type(exc).__name__, "retry_in": round(wait, 2)},
        )
        return wait

    def succeeded(self) -> None:
        self._outages = 0
