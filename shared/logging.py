"""JSON logs with service, correlation and tenant ids; never personal data.

Log records carry identifiers only (ids, types, counts). Names, email addresses, phone
numbers and notes are never passed to a logger.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from shared import context


class _ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        # Values passed with ``extra=`` win over the context's.
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = context.correlation_id.get()
        if getattr(record, "tenant_id", None) is None:
            record.tenant_id = context.tenant_id.get()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send JSON lines to stderr for this process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Kombu and amqp are chatty at INFO on reconnects; warnings are what matter.
    for noisy in ("amqp", "kombu", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
