"""Prometheus metrics of the processes that are not web servers (workers, relays, the
dispatcher, the scheduler), the ones an operator pages on (deploy/prometheus/alerts.yml).

Each such process serves them on ``METRICS_PORT`` when it is set. Counters are updated
where the thing happens; backlogs (outbox rows not yet published, messages waiting in a
queue or parked as dead letters) are read when Prometheus scrapes, so they cost nothing
between scrapes and are never stale (their collectors are in
:mod:`shared.messaging.backlogs`: this module sits below the database and messaging code
that counts here, ARCHITECTURE.md §1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.registry import Collector

from shared.config import Settings

log = logging.getLogger(__name__)

EVENTS_HANDLED = Counter(
    "coaching_events_handled_total",
    "Events a consumer finished with, by outcome",
    ["service", "outcome"],
)
DATABASE_UNAVAILABLE = Counter(
    "coaching_database_unavailable_total",
    "Times a process found its database unreachable and backed off",
    ["service", "process"],
)
BROKER_RECONNECTS = Counter(
    "coaching_broker_reconnects_total",
    "Broker connections a process had to open again after losing one",
    ["service", "process"],
)
OUTBOX_PUBLISHED = Counter(
    "coaching_outbox_published_total", "Outbox rows the broker confirmed", ["service"]
)
SCHEDULER_LAST_SUCCESS = Gauge(
    "coaching_scheduler_last_success_timestamp_seconds",
    "When the scheduler last finished a tick without error (Unix time)",
    ["service"],
)
NUDGES = Counter(
    "coaching_nudges_total",
    "Nudges the dispatcher concluded, by kind, channel, state and the reason's kind",
    ["kind", "channel", "state", "reason"],
)
NUDGE_LATENESS = Histogram(
    "coaching_nudge_lateness_seconds",
    "From when a nudge was due to when the provider accepted it",
    ["channel"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600),
)
UNROUTED_CRISIS = Counter(
    "coaching_unrouted_crisis_messages_total",
    "Crisis texts from a number no confirmed client record has (answered, kept for "
    "follow-up), by the number they were sent to: an organisation's own or the shared one",
    ["number"],
)
CRISIS_ALERTS_OVERDUE = Gauge(
    "coaching_crisis_alerts_overdue",
    "Open crisis alerts nobody acknowledged within their organisation's window (set by "
    "each dispatcher's escalation sweep)",
)
CRISIS_ESCALATIONS = Counter(
    "coaching_crisis_alert_escalations_total",
    "Times an unacknowledged crisis alert went to its organisation's on-call list",
)
PROVIDER_ERRORS = Counter(
    "coaching_provider_errors_total",
    "Errors from the SMTP relay or SMS provider, transient (retried) or permanent",
    ["channel", "severity"],
)


def reason_kind(reason: str | None) -> str:
    """A bounded label from a nudge's reason: the part before any detail
    (``suppressed:stop`` stays, ``undelivered: provider error 30005`` gives ``undelivered``)."""
    if not reason:
        return "none"
    return reason.split(" ", 1)[0].rstrip(":")[:40]


def serve(settings: Settings, collectors: Iterable[Collector] = ()) -> None:
    """Serve this process's metrics on ``METRICS_PORT`` (in a thread), if it is set."""
    if settings.metrics_port is None:
        return
    for collector in collectors:
        REGISTRY.register(collector)
    start_http_server(settings.metrics_port, addr=settings.metrics_host)
    log.info("metrics served", extra={"port": settings.metrics_port})
