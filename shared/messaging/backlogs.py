"""The backlogs of a service's messaging, read when Prometheus scrapes (see
:mod:`shared.metrics`): outbox rows not yet published, messages waiting in a queue or
parked as dead letters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from shared.clock import Clock
from shared.config import Settings
from shared.messaging.connection import broker_connection

log = logging.getLogger(__name__)


class OutboxBacklog(Collector):
    """Unpublished outbox rows of one service and the age of the oldest, read at scrape."""

    def __init__(
        self, service: str, session_factory: Callable, outbox_model: type, *, clock: Clock
    ):
        self.service = service
        self.clock = clock
        self.session_factory = session_factory
        self.outbox = outbox_model

    def collect(self) -> Iterable[GaugeMetricFamily]:
        backlog = GaugeMetricFamily(
            "coaching_outbox_backlog", "Outbox rows not yet published", labels=["service"]
        )
        age = GaugeMetricFamily(
            "coaching_outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox row (0 when there is none)",
            labels=["service"],
        )
        try:
            with self.session_factory() as session:
                count, oldest = session.execute(
                    select(func.count(), func.min(self.outbox.created_at)).where(
                        self.outbox.published_at.is_(None)
                    )
                ).one()
        except Exception as exc:  # a scrape reports what it can; never raises
            log.warning("outbox backlog unavailable", extra={"error": type(exc).__name__})
            return
        backlog.add_metric([self.service], count)
        age.add_metric(
            [self.service], (self.clock() - oldest).total_seconds() if oldest is not None else 0.0
        )
        yield backlog
        yield age


class QueueDepths(Collector):
    """Messages waiting in a service's queue and in its dead-letter queue, read at scrape
    with a passive declare (which never creates anything)."""

    def __init__(self, settings: Settings, queues: dict[str, str]):
        """``queues``: the metric's ``queue`` label -> the broker's queue name."""
        self.settings = settings
        self.queues = queues

    def collect(self) -> Iterable[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "coaching_queue_messages", "Messages ready in a queue", labels=["queue"]
        )
        try:
            with broker_connection(self.settings) as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
                channel = connection.channel()
                for label, name in self.queues.items():
                    _name, messages, _consumers = channel.queue_declare(queue=name, passive=True)
                    depth.add_metric([label], messages)
        except Exception as exc:
            log.warning("queue depths unavailable", extra={"error": type(exc).__name__})
            return
        yield depth
