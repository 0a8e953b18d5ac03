"""The outbox relay: publishes committed outbox rows with confirms, then marks them.

A crash between publishing and marking means the rows are published again on the next
run: consumers' inboxes make that harmless. Rows are claimed with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL so several relays can share one outbox.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from kombu import Connection, Producer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db import utcnow
from shared.messaging.connection import broker_connection, ensure_connected
from shared.messaging.topology import Topology

log = logging.getLogger(__name__)

MAX_PUBLISH_BACKOFF_SECONDS = 60


class OutboxRelay:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        outbox_model: type,
    ):
        self.settings = settings
        self.session_factory = session_factory
        self.outbox = outbox_model
        self.batch_size = settings.relay_batch_size
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    # -- broker -------------------------------------------------------------------------
    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            connection = ensure_connected(broker_connection(self.settings, confirm_publish=True))
            Topology(self.settings).declare(connection)
            self._connection = connection
            self._producer = Producer(connection.default_channel)
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
        self._connection = None
        self._producer = None

    # -- work ---------------------------------------------------------------------------
    def _claim(self, session: Session) -> list:
        stmt = (
            select(self.outbox)
            .where(self.outbox.published_at.is_(None), self.outbox.available_at <= utcnow())
            .order_by(self.outbox.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        return list(session.scalars(stmt))

    def _publish(self, row) -> None:
        self._ensure_producer().publish(
            row.body,
            exchange=row.exchange,
            routing_key=row.routing_key,
            content_type="application/json",
            content_encoding="utf-8",
            headers=dict(row.headers or {}),
            message_id=str(row.message_id),
            delivery_mode=2,
            mandatory=True,
            retry=False,
        )

    def run_once(self) -> int:
        """Publish one batch of due rows; return how many were published."""
        published = 0
        with self.session_factory() as session:
            rows = self._claim(session)
            if not rows:
                return 0
            self._ensure_producer()
            assert self._connection is not None
            connection_errors = self._connection.connection_errors
            for row in rows:
                try:
                    self._publish(row)
                except connection_errors:
                    # The broker went away: the row is not at fault. Keep what was
                    # confirmed, reconnect on the next run.
                    self.close()
                    break
                except Exception as exc:  # unroutable (mandatory) or nacked
                    self._record_failure(row, exc)
                    # The channel may hold a stale confirm: start afresh next time.
                    self.close()
                    break
                row.published_at = utcnow()
                published += 1
            session.commit()
        if published:
            log.info("relay published", extra={"count": published})
        return published

    def _record_failure(self, row, exc: Exception) -> None:
        row.publish_attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        delay = min(2 ** min(row.publish_attempts, 10), MAX_PUBLISH_BACKOFF_SECONDS)
        row.available_at = utcnow() + timedelta(seconds=delay)
        log.warning(
            "relay could not publish",
            extra={
                "outbox_id": row.id,
                "routing_key": row.routing_key,
                "error": type(exc).__name__,
                "attempts": row.publish_attempts,
            },
        )

    def run_forever(self, stop: threading.Event) -> None:
        log.info("relay started")
        try:
            while not stop.is_set():
                try:
                    published = self.run_once()
                except Exception:
                    log.exception("relay loop failed; retrying")
                    self.close()
                    stop.wait(1.0)
                    continue
                if published < self.batch_size:
                    stop.wait(self.settings.poll_interval_seconds)
        finally:
            self.close()
            log.info("relay stopped")
