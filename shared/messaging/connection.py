"""Broker connections, opened only by worker processes, never at import time."""

from __future__ import annotations

import contextlib
import random

from kombu import Connection

from shared.config import Settings
from shared.messaging.embedded import install as install_embedded_transport

HEARTBEAT_SECONDS = 30


def broker_connection(settings: Settings, *, confirm_publish: bool = False) -> Connection:
    """A Kombu connection; on RabbitMQ with heartbeats and, if asked, publisher confirms."""
    options = dict(settings.transport_options)
    if settings.broker_url.startswith(("amqp", "pyamqp")):
        if confirm_publish:
            options["confirm_publish"] = True
        # Several nodes in the URL (``amqp://a;amqp://b;amqp://c``): each connection starts
        # at a random one, so connections spread over the cluster, and fails over to the
        # others in turn (Kombu itself always starts at the first of the list).
        nodes = settings.broker_url.split(";")
        random.shuffle(nodes)
        return Connection(
            ";".join(nodes),
            heartbeat=HEARTBEAT_SECONDS,
            connect_timeout=5,
            transport_options=options,
        )
    install_embedded_transport()
    return Connection(settings.broker_url, transport_options=options)


def keep_alive(connection: Connection | None) -> None:
    """Between publishes, read what the broker sent and answer its heartbeats, so an idle
    connection is not dropped (RabbitMQ closes one silent for two heartbeat intervals).
    A connection found dead is for the caller to replace; this only reports it."""
    if connection is None or not connection.connected:
        return
    with contextlib.suppress(TimeoutError):
        connection.drain_events(timeout=0)  # the broker's heartbeats, if any arrived
    connection.heartbeat_check()


def ensure_connected(connection: Connection, *, max_retries: int | None = 10) -> Connection:
    """Connect with bounded, growing retries; raise if the broker stays down."""
    connection.ensure_connection(
        max_retries=max_retries, interval_start=0.5, interval_step=1, interval_max=5
    )
    return connection
