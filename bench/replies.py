"""An inbound reply reaching the plan: signed SMS mood replies ("7") posted to the webhook
at a steady rate, timed from the webhook's 200 until the client's wellbeing point is in
plans' database; beside one broker hop and one database write with no service code."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from kombu import Connection, Consumer, Producer, Queue
from sqlalchemy import bindparam, create_engine, text

from bench.harness import Row, real_infrastructure, summarise
from bench.system import _system
from services.notifications.replies.recording import reply_id_for
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature
from tests.support.api import HttpTransport, PlatformApi
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

AUTH_TOKEN = "bench-sms-auth-token"
CLIENTS = 20  # replies go round them, as several clients answer a prompt at once
RATE = 10  # replies per second
INBOUND = "/v1/webhooks/sms/inbound"


class Arrivals:
    """Polls a table every few milliseconds for the ids it is told to expect, and notes
    when each one first became visible."""

    def __init__(self, database_url: str, table: str, interval: float = 0.005):
        self._engine = create_engine(database_url, pool_size=1)
        self._query = text(f"SELECT id FROM {table} WHERE id IN :ids").bindparams(  # noqa: S608
            bindparam("ids", expanding=True)
        )
        self._interval = interval
        self._expected: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self.seen: dict[uuid.UUID, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Arrivals:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()

    def expect(self, row_id: uuid.UUID) -> None:
        with self._lock:
            self._expected.add(row_id)

    def _poll(self) -> None:
        with self._engine.connect() as connection:
            while not self._stop.is_set():
                with self._lock:
                    waiting = list(self._expected)
                if waiting:
                    found = connection.execute(self._query, {"ids": waiting}).scalars().all()
                    connection.commit()
                    now = time.time()
                    with self._lock:
                        for row_id in found:
                            self.seen.setdefault(row_id, now)
                            self._expected.discard(row_id)
                time.sleep(self._interval)


def _steadily(total: int, rate: int, send) -> None:
    started = time.perf_counter()
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send(i)


def _latencies(answered: dict, arrivals: Arrivals, total: int) -> tuple[list[float], int]:
    with contextlib.suppress(AssertionError):  # the missing ones count as lost
        wait_for(lambda: len(arrivals.seen) >= total, timeout=60, what="every reply in plans")
    latencies = [arrivals.seen[i] - t for i, t in answered.items() if i in arrivals.seen]
    return latencies, total - len(latencies)


def _clients_with_phones(api: PlatformApi, token: str, coach: str) -> list[str]:
    def onboarded(i: int) -> str:
        client = api.refer_client(token, email=f"r{i}@example.net", phone=f"04{10000000 + i}")
        api.assess(token, client["id"])
        assert api.onboard(token, client["id"], coach).status == 200
        return client["phone"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(onboarded, range(CLIENTS)))


def _known_everywhere(env: dict, phones: list[str]) -> bool:
    """Notifications knows every number and plans has every client's plan."""
    counts = []
    for service, query in (
        ("NOTIFICATIONS", "SELECT count(*) FROM contacts WHERE phone IN :phones"),
        ("PLANS", "SELECT count(DISTINCT client_id) FROM recovery_plans"),
    ):
        engine = create_engine(env[f"{service}_DATABASE_URL"])
        with engine.connect() as connection:
            statement = text(query)
            if ":phones" in query:
                statement = statement.bindparams(bindparam("phones", expanding=True))
            counts.append(connection.execute(statement, {"phones": phones}).scalar())
        engine.dispose()
    return counts == [len(phones), len(phones)]


def _ours(processes, env: dict, phones: list[str], total: int, rate: int) -> tuple[list, int]:
    url = processes.base_urls["notifications"] + INBOUND
    http = requests.Session()
    answered: dict[uuid.UUID, float] = {}
    with Arrivals(env["PLANS_DATABASE_URL"], "journal_entries") as arrivals:

        def reply(i: int) -> None:
            form = {
                "MessageSid": f"SM{uuid.uuid4().hex}",
                "AccountSid": "AC0123456789",
                "From": phones[i % len(phones)],
                "To": "+61400000000",
                "Body": str(4 + i % 7),  # 4..10: a mood, never low enough to flag
            }
            signature = compute_signature(AUTH_TOKEN, url, form.items())
            response = http.post(url, data=form, headers={SIGNATURE_HEADER: signature})
            assert response.status_code == 200, response.text
            reply_id = reply_id_for("sms", form["MessageSid"])
            answered[reply_id] = time.time()
            arrivals.expect(reply_id)

        _steadily(total, rate, reply)
        return _latencies(answered, arrivals, total)


def _baseline(settings, env: dict, total: int, rate: int) -> tuple[list, int]:
    """The floor of the path: a confirmed publish to RabbitMQ, a consumer writing the id
    to PostgreSQL in one transaction, seen by the same poller; no service code."""
    engine = create_engine(env["PLANS_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_replies (id uuid PRIMARY KEY)"))
    queue = Queue("bench.replies.baseline", durable=True)
    answered: dict[uuid.UUID, float] = {}
    stop = threading.Event()

    def consume() -> None:
        insert = text("INSERT INTO bench_replies (id) VALUES (:id)")
        with Connection(settings.broker_url) as conn, engine.connect() as db:

            def handle(body, message):
                db.execute(insert, {"id": uuid.UUID(body["id"])})
                db.commit()
                message.ack()

            with Consumer(conn.default_channel, [queue], callbacks=[handle], accept=["json"]):
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        conn.drain_events(timeout=0.2)

    with (
        Connection(settings.broker_url, transport_options={"confirm_publish": True}) as conn,
        Arrivals(env["PLANS_DATABASE_URL"], "bench_replies") as arrivals,
    ):
        queue(conn.default_channel).declare()
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        producer = Producer(conn.default_channel)

        def publish(_i: int) -> None:
            row_id = uuid.uuid4()
            producer.publish(
                {"id": str(row_id)}, routing_key=queue.name, serializer="json", delivery_mode=2
            )
            answered[row_id] = time.time()
            arrivals.expect(row_id)

        _steadily(total, rate, publish)
        result = _latencies(answered, arrivals, total)
        stop.set()
        consumer.join()
    engine.dispose()
    return result


def bench_replies(tmp: Path, seconds: int, rate: int = RATE) -> list[Row]:
    sink = SmtpSink().start()
    extra = {"SMS_AUTH_TOKEN": AUTH_TOKEN, "SMS_ACCOUNT_SID": "AC0123456789"}
    with real_infrastructure(tmp, **extra) as (settings, env):
        processes = _system(tmp, env, sink).start()
        try:
            api = PlatformApi(HttpTransport(processes.base_urls), env["PLATFORM_ADMIN_TOKEN"])
            organisation, token = api.new_tenant()
            phones = _clients_with_phones(api, token, organisation["admin"]["id"])
            wait_for(lambda: _known_everywhere(env, phones), timeout=60, what="the clients")
            total = seconds * rate
            ours, lost = _ours(processes, env, phones, total, rate)
        finally:
            processes.stop_all()
            sink.stop()
        floor, floor_lost = _baseline(settings, env, total, rate)
    stats, base = summarise(ours), summarise(floor)
    notes = {"replies": total, "rate_per_s": rate, "clients": CLIENTS, "lost": lost}
    notes |= {"baseline_lost": floor_lost}
    return [
        Row(
            "replies",
            "webhook 200 -> wellbeing in plans p50",
            stats["p50"] * 1000,
            base["p50"] * 1000,
            "",
            "ms",
            notes,
        ),
        Row(
            "replies",
            "webhook 200 -> wellbeing in plans p99",
            stats["p99"] * 1000,
            base["p99"] * 1000,
            "< 1000 ms, none lost",
            "ms",
            notes,
        ),
        Row(
            "replies",
            "webhook 200 -> wellbeing in plans max",
            stats["max"] * 1000,
            base["max"] * 1000,
            "",
            "ms",
        ),
        Row("replies", "replies lost", float(lost), None, "0", "count"),
    ]
