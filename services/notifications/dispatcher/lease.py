"""A dispatcher's hold on the nudges it claimed: short, and renewed while it works.

A claimed nudge carries ``claimed_until``. A dispatcher that dies strands its batch only
until then, so the lease is short (:data:`LEASE`); one that is alive but slow (a slow
relay, many renders) keeps its batch by renewing the lease of the nudges it has not yet
recorded every :data:`RENEW_EVERY`, from a thread of its own, one small UPDATE each time.

A lease is kept on the database's clock (:func:`lease_clock_for`), not the host's: two
dispatchers on hosts whose clocks disagree by more than the lease would otherwise each
see the other's live lease as run out, and send the same nudges twice. The providers'
rate slots (``rate_limits``) are on the database's clock for the same reason. Due times
stay on the runtime's clock: a skewed host sends a nudge early or late, never twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.notifications.models import Nudge

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
RENEW_EVERY = timedelta(seconds=10)

# The time leases are measured by, read in the session that sets or compares them.
LeaseClock = Callable[[Session], datetime]


def database_clock(session: Session) -> datetime:
    """The database server's time now (PostgreSQL's ``clock_timestamp()``)."""
    return session.scalar(select(func.clock_timestamp())).astimezone(UTC)


def lease_clock_for(engine: Engine, host_clock: Callable[[], datetime]) -> LeaseClock:
    """PostgreSQL: the database's clock, the one every dispatcher shares whatever its
    host's clock says. SQLite: the host's, which is the database's (one dispatcher, on
    the machine that holds the file)."""
    if engine.dialect.name == "postgresql":
        return database_clock
    return lambda _session: host_clock()


class LeaseKeeper:
    """Renews the lease of a batch's nudges still ``sending`` until stopped (a context
    manager around the sending of the batch)."""

    def __init__(
        self,
        session_factory: Callable,
        nudge_ids: list[uuid.UUID],
        clock: LeaseClock,
        renew_every: timedelta = RENEW_EVERY,
    ):
        self.session_factory = session_factory
        self.nudge_ids = nudge_ids
        self.clock = clock
        self.renew_every = renew_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.renewals = 0

    def __enter__(self) -> LeaseKeeper:
        if self.nudge_ids:
            self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.renew_every.total_seconds()):
            try:
                self.renew()
            except Exception as exc:  # the next round tries again; the lease still holds
                log.warning("could not renew a lease", extra={"error": type(exc).__name__})

    def renew(self) -> int:
        """Extend the lease of the batch's nudges not yet recorded; return how many."""
        with self.session_factory() as session:
            renewed = session.execute(
                update(Nudge)
                .where(Nudge.id.in_(self.nudge_ids), Nudge.state == "sending")
                .values(claimed_until=self.clock(session) + LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        self.renewals += 1
        return renewed
