"""Engines that behave the same on PostgreSQL and on the embedded SQLite default."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.orm import Session, sessionmaker

from shared.clock import Clock

log = logging.getLogger(__name__)

# The execution option that carries the service's clock to every statement of an engine.
CLOCK_OPTION = "coaching_clock"


def clock_now(context: ExecutionContext) -> datetime:
    """A column's default (``created_at``, ``updated_at``...): the time on the clock of the
    engine that runs the statement, the service's one clock (ARCHITECTURE.md §5.9), never
    the host's. An engine made without a clock cannot stamp a row: it raises."""
    clock = context.execution_options.get(CLOCK_OPTION)
    if clock is None:
        raise RuntimeError("this engine has no clock: make_engine(url, clock=...)")
    return clock()


def make_engine(url: str, *, clock: Clock | None = None, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so several processes share it.

    ``clock`` stamps the rows its statements write (:func:`clock_now`); an engine that only
    migrates or reads may go without.

    On PostgreSQL a ``prepare_threshold`` in the URL's query goes to psycopg rather than
    to the server: ``?prepare_threshold=none`` turns prepared statements off, as PgBouncer
    in transaction mode needs (a statement prepared on one server connection is unknown
    on the next); a number sets after how many runs a statement is prepared (psycopg's
    default: 5). See deploy/README.md, "PostgreSQL connection budget".

    A statement's parameters (a client's name, an email address) never appear in the
    text of a database error, hence never in a logged traceback."""
    kwargs.setdefault("hide_parameters", True)
    engine = _create_engine(url, **kwargs)
    if clock is not None:
        engine.update_execution_options(**{CLOCK_OPTION: clock})
    return engine


def _create_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Let SQLAlchemy, not pysqlite, begin transactions, and begin them IMMEDIATE
            # so two writers queue on the lock instead of failing mid-transaction.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Deleted and overwritten rows are zeroed, not left in free space: an erased
            # client's details must not linger in the file (see wipe_write_ahead_log).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    parsed = make_url(url)
    if "prepare_threshold" in parsed.query:
        threshold = parsed.query["prepare_threshold"]
        kwargs["connect_args"] = kwargs.get("connect_args", {}) | {
            "prepare_threshold": None if threshold.lower() in ("none", "") else int(threshold)
        }
        return create_engine(parsed.difference_update_query(["prepare_threshold"]), **kwargs)
    return create_engine(url, **kwargs)


def wipe_write_ahead_log(engine: Engine) -> None:
    """On SQLite, fold the write-ahead log into the database file and empty it.

    Until a checkpoint, the log keeps earlier versions of every page a transaction wrote:
    after an erasure, the erased details. (With ``secure_delete`` the file itself keeps
    none.) Call it after the erasure commits; on PostgreSQL it does nothing."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # Outside any transaction: the connection is in autocommit (isolation_level None).
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = cursor.fetchone()
        cursor.close()
    except sqlite3.Error as exc:  # the erasure itself has committed: report, go on
        log.warning("write-ahead log checkpoint failed", extra={"error": type(exc).__name__})
        return
    finally:
        raw.close()
    if busy:
        log.warning("write-ahead log checkpoint incomplete: another connection was busy")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
