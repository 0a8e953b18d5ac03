"""The outbox relay: publishes committed outbox rows with confirms, then marks them.

A crash between publishing and marking means the rows are published again on the next
run: consumers' inboxes make that harmless. Rows are claimed with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL so several relays can share one outbox.

An idle relay waits for the next commit that writes outbox rows (PostgreSQL ``NOTIFY``,
:mod:`shared.db.commit_wakeup`) or its poll interval, whichever comes first.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from kombu import Connection
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import liveness
from shared.backoff import Backoff
from shared.clock import Clock
from shared.config import Settings
from shared.db.commit_wakeup import IdleWait, PollingWait
from shared.db.housekeeping import Housekeeper
from shared.db.outage import LoopBackoff, is_database_outage
from shared.events import CATALOGUE
from shared.messaging.connection import broker_connection, ensure_connected, keep_alive
from shared.messaging.publisher import OutgoingMessage, PublishTimeout, publisher_for
from shared.messaging.topology import Topology
from shared.metrics import BROKER_RECONNECTS, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

MAX_PUBLISH_BACKOFF_SECONDS = 60


class OutboxRelay:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        outbox_model: type,
        *,
        clock: Clock,
        housekeeper: Housekeeper | None = None,
        service: str = "",
        publish_backoff: Backoff | None = None,
        idle_wait: IdleWait | None = None,
    ):
        """``housekeeper``: run every ``HOUSEKEEPING_INTERVAL_SECONDS`` by ``run_forever``
        (each service has a relay, so each service's old rows go). ``publish_backoff``:
        the wait before a row the broker refused is tried again (2 s doubled per attempt
        up to a minute, jittered). ``idle_wait``: how an idle relay waits for work (a
        commit's notification or the poll interval; the poll alone by default)."""
        self.settings = settings
        self.clock = clock
        self.publish_backoff = publish_backoff or Backoff(2.0, MAX_PUBLISH_BACKOFF_SECONDS)
        self.housekeeper = housekeeper
        self._housekeeping_due = 0.0  # at once, then every interval
        self.session_factory = session_factory
        self.outbox = outbox_model
        self.batch_size = settings.relay_batch_size
        self._connection: Connection | None = None
        self._publisher = None
        self._connected_before = False
        self.service = service
        self.idle_wait = idle_wait or PollingWait()

    # -- broker -------------------------------------------------------------------------
    def _ensure_publisher(self):
        if self._publisher is None:
            if self._connected_before:
                BROKER_RECONNECTS.labels(self.service, "relay").inc()
            self._connected_before = True
            connection = ensure_connected(broker_connection(self.settings), max_retries=3)
            Topology(self.settings).declare(connection)
            self._connection = connection
            self._publisher = publisher_for(connection)
        return self._publisher

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection must not mask the cause
                log.debug("closing the relay connection failed", exc_info=True)
        self._connection = None
        self._publisher = None

    def _keep_alive(self) -> None:
        try:
            keep_alive(self._connection)
        except Exception:
            # The broker dropped us while idle: reconnect at the next publish, quietly.
            log.info("relay connection lost while idle; reconnecting on the next publish")
            self.close()

    # -- work ---------------------------------------------------------------------------
    def _claim(self, session: Session) -> list:
        stmt = (
            select(self.outbox)
            .where(self.outbox.published_at.is_(None), self.outbox.available_at <= self.clock())
            .order_by(self.outbox.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        return list(session.scalars(stmt))

    def run_once(self) -> int:
        """Publish one batch of due rows; return how many the broker confirmed."""
        with self.session_factory() as session:
            rows = self._claim(session)
            if not rows:
                return 0
            publisher = self._ensure_publisher()
            assert self._connection is not None
            try:
                outcomes = publisher.publish_batch([self._message(row) for row in rows])
            except (*self._connection.connection_errors, PublishTimeout):
                # Broker gone or silent: nothing is marked, so everything is sent again
                # later; consumers' inboxes absorb the copies that did arrive.
                self.close()
                raise
            now = self.clock()
            published = 0
            for row, error in zip(rows, outcomes, strict=True):
                if error is None:
                    row.published_at = now
                    published += 1
                else:
                    self._record_failure(row, error)
            session.commit()
        if published:
            OUTBOX_PUBLISHED.labels(self.service).inc(published)
            log.debug("relay published", extra={"count": published})
        return published

    def _record_failure(self, row, error: str) -> None:
        row.publish_attempts += 1
        row.last_error = error[:1000]
        delay = self.publish_backoff.delay(row.publish_attempts)
        row.available_at = self.clock() + timedelta(seconds=delay)
        log.warning(
            "relay could not publish",
            extra={
                "outbox_id": row.id,
                "routing_key": row.routing_key,
                "attempts": row.publish_attempts,
            },
        )

    def keep_house_if_due(self) -> None:
        """Run the housekeeper when its interval has passed; a failure waits a round."""
        if self.housekeeper is None or time.monotonic() < self._housekeeping_due:
            return
        self._housekeeping_due = time.monotonic() + self.settings.housekeeping_interval_seconds
        try:
            self.housekeeper.run_once()
        except Exception as exc:
            if is_database_outage(exc):  # the loop's own round reports the outage
                log.warning("housekeeping skipped: database unavailable")
            else:
                log.exception("housekeeping failed; trying again next round")

    def run_forever(self, stop: threading.Event) -> None:
        log.info("relay started")
        backoff = LoopBackoff(log, self.service, "relay")
        try:
            while not stop.is_set():
                liveness.beat()
                self.keep_house_if_due()
                try:
                    published = self.run_once()
                except Exception as exc:
                    if not is_database_outage(exc):
                        self.close()  # the broker's fault, perhaps: connect afresh
                    stop.wait(backoff.failed(exc))
                    continue
                backoff.succeeded()
                if published < self.batch_size:
                    self.idle_wait.wait(stop, self.settings.poll_interval_seconds)
                    self._keep_alive()
        finally:
            self.close()
            self.idle_wait.close()
            log.info("relay stopped")

    def _message(self, row) -> OutgoingMessage:
        return OutgoingMessage(
            body=row.body,
            exchange=row.exchange,
            routing_key=row.routing_key,
            headers=row.headers or {},
            message_id=str(row.message_id),
            must_reach_a_queue=self._must_reach_a_queue(row),
        )

    def _must_reach_a_queue(self, row) -> bool:
        """An event no service subscribes to yet (``plan.created``) is published for
        whoever subscribes later, and reaching no queue is then no failure; anything else
        that reaches none (a misrouted event, a replay to a missing queue) is one."""
        return not (
            row.exchange == self.settings.exchange_name
            and row.routing_key in CATALOGUE
            and not self.settings.subscribers_of(row.routing_key)
        )
