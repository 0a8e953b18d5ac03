"""Database plumbing: engines, the unit of work, and the outbox and inbox tables."""

from shared.db.engine import clock_now, make_engine, make_session_factory, wipe_write_ahead_log
from shared.db.messaging_tables import InboxRecord, OutboxRecord
from shared.db.unit_of_work import UnitOfWork

__all__ = [
    "InboxRecord",
    "OutboxRecord",
    "UnitOfWork",
    "clock_now",
    "make_engine",
    "make_session_factory",
    "wipe_write_ahead_log",
]
