"""Loops woken by a commit: PostgreSQL ``LISTEN``/``NOTIFY`` instead of a poll interval.

A trigger on a table that a loop works through (every service's ``outbox``,
notifications' ``nudges``) runs ``NOTIFY`` on the table's channel in each statement that
inserts rows there (:func:`shared.db.migration_steps.create_notify_trigger`, in a
migration). PostgreSQL delivers it
when that transaction commits, never if it rolls back, and folds the notifications of one
transaction into one. The loop (the relay, the dispatcher) waits on :class:`CommitWakeup`
where it waited out its poll interval: a commit ends the wait at once, so an event
leaves about a millisecond after its commit instead of half a poll interval on average.

The poll stays, as the floor: the wait still ends after ``POLL_INTERVAL_SECONDS``, which
finds rows due later (a publish retried after its backoff, a nudge scheduled for 08:00),
rows committed while the listening connection was being made again, and anything behind
a connection pooler that does not pass notifications on (PgBouncer in transaction mode).
A notification only brings the next look forward; what is claimed, and how, is
unchanged, so nothing the loop guarantees depends on it. On SQLite (the embedded
default) there is nothing to listen to: :func:`commit_wakeup` gives a plain wait.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from sqlalchemy import Engine

log = logging.getLogger(__name__)

# After a listening connection failed, how long the loop polls before connecting again.
RECONNECT_AFTER_SECONDS = 5.0
# A long wait looks at the loop's stop event this often.
STOP_CHECK_SECONDS = 0.5


class IdleWait(Protocol):
    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait up to ``seconds`` (less if ``stop`` is set or a commit calls); return
        whether a commit's notification ended the wait."""

    def listen(self) -> bool: ...

    def close(self) -> None: ...


class PollingWait:
    """The poll alone: the wait of a loop with nothing to listen to (SQLite)."""

    woken = 0

    def listen(self) -> bool:
        return False

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        stop.wait(seconds)
        return False

    def close(self) -> None:
        pass


class CommitWakeup:
    """Waits on one ``LISTEN`` channel of a PostgreSQL database, on a connection of its
    own (autocommit, outside the engine's pool). ``woken`` counts the waits a commit's
    notification ended; ``polls`` those that ran their full time (a wait that ``stop``
    ended is neither)."""

    def __init__(self, engine: Engine, channel: str):
        self.engine = engine
        self.channel = channel
        self.woken = 0
        self.polls = 0
        self._connection = None  # psycopg's own connection
        self._pool_entry = None
        self._retry_at = 0.0

    def listen(self) -> bool:
        """Open the listening connection now (the first wait does otherwise); whether it
        listens. A commit before this is not heard: the loop's poll finds its rows."""
        return self._listening() is not None

    def _listening(self):
        if self._connection is not None:
            return self._connection
        if time.monotonic() < self._retry_at:
            return None
        try:
            entry = self.engine.raw_connection()
            connection = entry.driver_connection
            entry.detach()  # ours for as long as it lives, never back to the pool
            connection.rollback()  # the pool's ping may have begun a transaction
            connection.autocommit = True
            connection.execute(f'LISTEN "{self.channel}"')
        except Exception:
            self._retry_at = time.monotonic() + RECONNECT_AFTER_SECONDS
            log.warning(
                "cannot listen for commits; polling",
                extra={"channel": self.channel},
                exc_info=True,
            )
            return None
        self._pool_entry, self._connection = entry, connection
        return connection

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait up to ``seconds`` for a commit that inserted rows into the channel's
        table. Notifications that arrived meanwhile are taken with the first: however
        many commits called, one wait ends and the loop looks once."""
        connection = self._listening()
        if connection is None:
            stop.wait(seconds)
            self.polls += 1
            return False
        deadline = time.monotonic() + seconds
        notified = False
        try:
            while not notified and not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                for _ in connection.notifies(
                    timeout=min(remaining, STOP_CHECK_SECONDS), stop_after=1
                ):
                    notified = True
            if notified:
                for _ in connection.notifies(timeout=0):
                    pass
        except Exception:
            log.warning("lost the connection listening for commits; polling", exc_info=True)
            self.close()
            self._retry_at = time.monotonic() + RECONNECT_AFTER_SECONDS
            return False
        if notified:
            self.woken += 1
        elif not stop.is_set():
            self.polls += 1
        return notified

    def close(self) -> None:
        entry, self._pool_entry, self._connection = self._pool_entry, None, None
        if entry is not None:
            try:
                entry.close()
            except Exception:  # closing a broken connection must not mask the cause
                log.debug("closing the listening connection failed", exc_info=True)


def commit_wakeup(engine: Engine, channel: str) -> IdleWait:
    """The wait of a loop that works through a table notifying ``channel``: woken by
    commits on PostgreSQL, the plain poll elsewhere."""
    if engine.dialect.name == "postgresql":
        return CommitWakeup(engine, channel)
    return PollingWait()
