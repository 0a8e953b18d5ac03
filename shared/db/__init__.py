"""Database plumbing: engines, the unit of work, and the outbox and inbox tables."""

from shared.db.engine import make_engine, make_session_factory, utcnow, wipe_write_ahead_log
from shared.db.messaging_tables import InboxRecord, OutboxRecord
from shared.db.unit_of_work import UnitOfWork

__all__ = [
    "InboxRecord",
    "OutboxRecord",
    "UnitOfWork",
    "make_engine",
    "make_session_factory",
    "utcnow",
    "wipe_write_ahead_log",
]
