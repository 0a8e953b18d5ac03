"""JSON logs with service, correlation and tenant ids; never personal data.

Log records carry identifiers only (ids, types, counts). Names, email addresses, phone
numbers and notes are never passed to a logger.
"""

from __future__ import annotations

import logging
import sys
import threading

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
    """Send JSON lines to stderr for this process: its log records, Python's warnings and
    any exception nothing caught, with its traceback (``exc_info``)."""
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
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind, error, traceback) -> None:
    logging.getLogger("uncaught").critical(
        "uncaught exception", exc_info=(kind, error, traceback), extra={"error": kind.__name__}
    )


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    logging.getLogger("uncaught").critical(
        "uncaught exception in a thread",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        extra={"error": args.exc_type.__name__, "thread": getattr(args.thread, "name", None)},
    )
