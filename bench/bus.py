"""Relay and consumer throughput, each against raw Kombu on the same broker."""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kombu import Connection, Consumer, Producer, Queue

from bench.fixtures import onboarded_bodies, publish_events, referred_bodies, sent_bodies
from bench.harness import Row, migrated_runtime, real_infrastructure
from shared.messaging.connection import broker_connection
from shared.messaging.topology import Topology


def _raw_confirmed_publish(settings, bodies: list[bytes], exchange, routing_key) -> float:
    """Baseline: Kombu with confirm_publish, one message at a time."""
    with Connection(settings.broker_url, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.default_channel)
        started = time.perf_counter()
        for body in bodies:
            producer.publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                mandatory=True,
                retry=False,
                message_id=str(uuid.uuid4()),
            )
        return time.perf_counter() - started


def _purge(settings) -> None:
    with broker_connection(settings) as connection:
        for queue in Topology(settings).all_queues():
            queue(connection.default_channel).purge()


def bench_relay(tmp: Path, n: int) -> list[Row]:
    from services.intake.models import Outbox

    with real_infrastructure(tmp) as (settings, _env):
        runtime = migrated_runtime("intake", settings)
        topology = Topology(settings)
        with broker_connection(settings) as connection:
            topology.declare(connection)
        bodies = referred_bodies(n)
        with runtime.session_factory() as session:
            session.add_all(
                Outbox(
                    message_id=uuid.UUID(json.loads(b)["id"]),
                    exchange=topology.events.name,
                    routing_key="client.referred",
                    body=b,
                    headers={},
                )
                for b in bodies
            )
            session.commit()
        relay = runtime.relay()
        relay._ensure_publisher()  # connect outside the timed part, as a running relay is
        started = time.perf_counter()
        published = 0
        while published < n:
            published += relay.run_once()
        ours = time.perf_counter() - started
        relay.close()
        _purge(settings)
        baseline = _raw_confirmed_publish(settings, bodies, topology.events.name, "client.referred")
        _purge(settings)
        runtime.engine.dispose()
    return [
        Row(
            "relay",
            "outbox rows -> confirmed publishes",
            n / ours,
            n / baseline,
            ">= 1.0x",
            "msgs/s",
            {"n": n, "batch_size": settings.relay_batch_size},
        )
    ]


def _raw_consume(settings, bodies: list[bytes]) -> float:
    """Baseline: the same messages consumed and acknowledged with bare Kombu."""
    with broker_connection(settings) as connection:
        queue = Queue("bench.raw", durable=True)
        channel = connection.default_channel
        queue(channel).declare()
        producer = Producer(channel)
        for body in bodies:
            producer.publish(
                body,
                exchange="",
                routing_key="bench.raw",
                delivery_mode=2,
                content_type="application/json",
                content_encoding="utf-8",
            )
        received = 0

        def on_message(message):
            nonlocal received
            message.ack()
            received += 1

        with Consumer(connection, queues=[queue], on_message=on_message, prefetch_count=100):
            started = time.perf_counter()
            while received < len(bodies):
                connection.drain_events(timeout=10)
            elapsed = time.perf_counter() - started
        queue(channel).delete()
        return elapsed


def consume_with_runner(settings, processor, n: int, timeout: float = 300) -> float:
    """Our runner's path (validate, inbox, handler, commit per batch, ack) until n done.

    Timed from the first batch, as the baseline is timed once its consumer is set up."""
    from shared.messaging.consumer import EventWorker

    handled = 0
    first_batch_at: float | None = None
    done = threading.Event()
    process_batch = processor.process_batch

    def counting(messages):
        nonlocal handled, first_batch_at
        if first_batch_at is None:
            first_batch_at = time.perf_counter()
        outcomes = process_batch(messages)
        handled += len(messages)
        if handled >= n:
            done.set()
        return outcomes

    processor.process_batch = counting
    worker = EventWorker(settings, processor)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_until, args=(stop,))
    thread.start()
    finished = done.wait(timeout)
    elapsed = time.perf_counter() - (first_batch_at or 0)
    stop.set()
    thread.join(10)
    if not finished:
        raise RuntimeError(f"only {handled} of {n} events handled in {timeout}s")
    return elapsed


ROUNDS = 3


def _consumer_row(
    tmp: Path, n: int, make_bodies: Callable[[int], list[bytes]], routing_key: str
) -> tuple[float, float, dict]:
    """Our runner and raw Kombu take turns, ``ROUNDS`` rounds of n fresh events each; each
    side's median round is reported (every round in the row's details). One round of raw
    consuming lasts about a second, and read anything from 4,400 to 7,700 events/s on the
    same quiet machine within minutes: taking turns exposes both sides to the drift alike."""
    rounds: dict[str, list[float]] = {"ours": [], "baseline": []}
    with real_infrastructure(tmp) as (settings, _env):
        runtime = migrated_runtime("plans", settings)
        for _ in range(ROUNDS):
            bodies = make_bodies(n)
            publish_events(settings, bodies, routing_key)
            rounds["ours"].append(n / consume_with_runner(settings, runtime.inbox_processor(), n))
            rounds["baseline"].append(n / _raw_consume(settings, bodies))
        runtime.engine.dispose()
    ours, baseline = (statistics.median(rounds[side]) for side in ("ours", "baseline"))
    return ours, baseline, {side: [round(r, 1) for r in runs] for side, runs in rounds.items()}


def bench_consumer(tmp: Path, n: int) -> list[Row]:
    """The runner on the system's most frequent event (one ``notification.sent`` per nudge
    delivered, whose effect is one timeline row), and on its heaviest (an onboarding,
    which drafts a plan)."""
    ours, baseline, rounds = _consumer_row(tmp / "sent", n, sent_bodies, "notification.sent")
    heavy, heavy_baseline, heavy_rounds = _consumer_row(
        tmp / "onboarded", n, onboarded_bodies, "client.onboarded"
    )
    return [
        Row(
            "consumer",
            "notification.sent -> timeline entry",
            ours,
            baseline,
            ">= 0.25x",
            "events/s",
            {"n": n, "effect": "plans: one timeline row", "rounds_events_per_s": rounds},
        ),
        Row(
            "consumer",
            "client.onboarded -> plan drafted",
            heavy,
            heavy_baseline,
            ">= 0.25x",
            "events/s",
            {
                "n": n,
                "effect": "plans: plan + 2 goals + client profile + plan.created outbox row",
                "rounds_events_per_s": heavy_rounds,
            },
        ),
    ]
