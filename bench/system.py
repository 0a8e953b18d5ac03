"""Benchmarks of the running system: end to end (and memory), API, dispatcher, scale-out."""

from __future__ import annotations

import contextlib
import os
import smtplib
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from bench.fixtures import onboarded_bodies, publish_events
from bench.harness import BusyCores, Row, migrated_runtime, real_infrastructure, summarise
from bench.load import connections_per_process, evenly_spread, run_load
from tests.support.api import HttpTransport, PlatformApi
from tests.support.processes import ProcessSystem
from tests.support.smtp import SmtpSink, free_port
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]


class TimedSink(SmtpSink):
    """An SMTP sink that notes when each recipient's first message arrived."""

    def __init__(self):
        super().__init__()
        self.arrivals: dict[str, float] = {}
        handle = self.handler.handle_DATA

        async def timed(server, session, envelope):
            reply = await handle(server, session, envelope)
            if reply.startswith("250"):
                for rcpt in envelope.rcpt_tos:
                    self.arrivals.setdefault(rcpt.lower(), time.time())
            return reply

        self.handler.handle_DATA = timed


def _peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (gunicorn workers)."""
    peak = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


def _system(tmp: Path, env: dict, sink: SmtpSink, web_concurrency: str = "2") -> ProcessSystem:
    processes = ProcessSystem(env | {"SMTP_URL": sink.url}, tmp / "logs").prepare()
    processes.env["WEB_CONCURRENCY"] = web_concurrency
    return processes


def bench_end_to_end(tmp: Path, seconds: int, rate: int = 20) -> list[Row]:
    sink = TimedSink().start()
    with real_infrastructure(tmp) as (_settings, env):
        processes = _system(tmp, env, sink).start()
        try:
            api = PlatformApi(HttpTransport(processes.base_urls), env["PLATFORM_ADMIN_TOKEN"])
            organisation, token = api.new_tenant()
            coach = organisation["admin"]["id"]
            total = seconds * rate

            def prepare(i):
                client = api.refer_client(token, email=f"client{i}@example.net")
                api.assess(token, client["id"])
                return client["id"], f"client{i}@example.net"

            with ThreadPoolExecutor(8) as pool:
                clients = list(pool.map(prepare, range(total)))
            onboarded_at: dict[str, float] = {}
            started = time.perf_counter()
            for i, (client_id, email) in enumerate(clients):
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                reply = api.onboard(token, client_id, coach)
                assert reply.status == 200, reply.body
                onboarded_at[email] = time.time()
            with contextlib.suppress(AssertionError):  # the missing ones count as lost
                wait_for(
                    lambda: len(sink.arrivals) >= total, timeout=60, what="every welcome email"
                )
            latencies = [
                sink.arrivals[e] - t for e, t in onboarded_at.items() if e in sink.arrivals
            ]
            lost = total - len(latencies)
            memory = {}
            for name, process in processes.processes.items():
                role = name.split("-", 1)[1] if name.count("-") else name
                memory[role] = max(memory.get(role, 0.0), _peak_rss_mb(process.pid))
        finally:
            processes.stop_all()
            sink.stop()
    stats = summarise(latencies)
    notes = {"onboardings": total, "rate_per_s": rate, "lost": lost}
    rows = [
        Row(
            "end-to-end",
            "onboard -> welcome at SMTP p50",
            stats["p50"] * 1000,
            None,
            "",
            "ms",
            notes,
        ),
        Row(
            "end-to-end",
            "onboard -> welcome at SMTP p99",
            stats["p99"] * 1000,
            None,
            "< 1000 ms, none lost",
            "ms",
            notes,
        ),
        Row("end-to-end", "onboard -> welcome at SMTP max", stats["max"] * 1000, None, "", "ms"),
        Row("end-to-end", "welcome emails lost", float(lost), None, "0", "count"),
    ]
    rows += [
        Row("memory", f"peak RSS {role}", mb, None, "< 150 MB", "MB")
        for role, mb in sorted(memory.items())
    ]
    return rows


def _load_evenly_spread(urls: list[str], headers: dict, seconds: int, workers: int = 2) -> dict:
    """Load the URLs; again (up to twice more) if a server's connections landed unevenly
    on its gunicorn workers, which keep a keep-alive connection on the worker that took
    it: one worker holding most of them would measure half the server. Each request must
    be answered 200: a benchmark of error answers is no benchmark."""
    ports = sorted({urlsplit(url).port for url in urls})
    for _attempt in range(3):
        result = run_load(
            urls,
            headers,
            duration=seconds,
            probe=lambda: {port: connections_per_process([port]) for port in ports},
        )
        spread = result.pop("observed")
        result["spread"] = {str(port): sorted(spread[port].values()) for port in ports}
        if result["errors"]:
            raise RuntimeError(f"{result['errors']} requests to {urls} were not answered 200")
        if all(evenly_spread(spread[port], workers) for port in ports):
            break
    return result


API_ROUNDS = 3  # ours and the baseline take turns, so a drifting machine hits both alike


def bench_api(tmp: Path, seconds: int) -> list[Row]:
    sink = SmtpSink().start()
    with real_infrastructure(tmp) as (_settings, env):
        processes = _system(tmp, env, sink).start()
        try:
            api = PlatformApi(HttpTransport(processes.base_urls), env["PLATFORM_ADMIN_TOKEN"])
            organisation, token = api.new_tenant()
            client = api.onboarded_client(token, organisation["admin"]["id"])
            plan = wait_for(lambda: api.plans_of(token, client["id"]), what="a plan")[0]
            for name in list(processes.processes):
                if not name.endswith("-api"):
                    processes.stop(name)
            ours_urls = [
                f"{processes.base_urls['intake']}/v1/clients/{client['id']}",
                f"{processes.base_urls['plans']}/v1/plans/{plan['id']}",
            ]
            bare_urls = [_start_bare_app(processes, f"/clients/{client['id']}")]
            headers = {"Authorization": f"Bearer {token}"}
            rounds = {"ours": [], "baseline": []}
            for _ in range(API_ROUNDS):
                rounds["ours"].append(_load_evenly_spread(ours_urls, headers, seconds))
                rounds["baseline"].append(_load_evenly_spread(bare_urls, {}, seconds))
            assert all(process.poll() is None for process in processes.processes.values())
        finally:
            processes.stop_all()
            sink.stop()
    ours, baseline = (_median_round(rounds[side]) for side in ("ours", "baseline"))
    notes = {
        "ours": ours,
        "baseline": baseline,
        "rounds_rps": {side: [run["rps"] for run in runs] for side, runs in rounds.items()},
        "connections": 16,
        "workers": 2,
        "threads": 4,
    }
    return [
        Row(
            "api",
            f"GET client + GET plan, 16 conns, median of {API_ROUNDS}",
            ours["rps"],
            baseline["rps"],
            ">= 0.7x",
            "req/s",
            notes,
        ),
        Row("api", "p99 latency", ours["p99_ms"], baseline["p99_ms"], "", "ms"),
    ]


def _start_bare_app(processes: ProcessSystem, path: str) -> str:
    """The baseline on gunicorn with our settings, beside our idle APIs; the URL of
    ``path`` on it, once that answers 200."""
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    processes.spawn(
        "bare-api",
        [
            gunicorn,
            "-c",
            "python:shared.web.gunicorn_config",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(REPO),
            "bench.bare_app:create_app()",
        ],
    )
    url = f"http://127.0.0.1:{port}{path}"
    wait_for(lambda: _responds(url), what="the bare app")
    return url


def _median_round(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]


def _responds(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _due_nudges(runtime, n: int) -> None:
    from services.notifications.models import Contact, Nudge

    tenant = uuid.uuid4()
    now = runtime.now()
    with runtime.session_factory() as session:
        for i in range(n):
            client_id = uuid.uuid4()
            session.add(
                Contact(
                    tenant_id=tenant,
                    client_id=client_id,
                    given_name="Bench",
                    email=f"n{i}@example.net",
                    timezone="UTC",
                    locale="en",
                    consent_email=True,
                    consent_sms=False,
                    quiet_start="00:00",  # no quiet hours: the run must not depend on the hour
                    quiet_end="00:00",
                )
            )
            session.add(
                Nudge(
                    id=uuid.uuid4(),
                    tenant_id=tenant,
                    client_id=client_id,
                    kind="welcome",
                    occurrence_key=f"bench:{i}",
                    channel="email",
                    state="scheduled",
                    due_at=now,
                )
            )
        session.commit()


def _logged(processes: ProcessSystem, name: str, text: str) -> bool:
    path = processes.log_dir / f"{name}.log"
    return path.exists() and text in path.read_text(errors="replace")


def _dispatch_with_processes(
    tmp: Path, n: int, count: int, reply_delay: float = 0.0
) -> tuple[float, float]:
    """Steady state: dispatchers are up and idle before the nudges become due.
    Returns the seconds taken and how many cores were busy meanwhile."""
    sink = SmtpSink(reply_delay).start()
    with real_infrastructure(tmp, LOG_LEVEL="INFO") as (settings, env):
        runtime = migrated_runtime("notifications", settings)
        processes = _system(tmp, env, sink)
        names = [f"dispatcher-{i}" for i in range(count)]
        for name in names:
            processes.spawn(name, [sys.executable, "-m", "coaching", "dispatcher"])
        try:
            for name in names:
                wait_for(
                    lambda name=name: _logged(processes, name, "dispatcher started"),
                    what=f"{name} to start",
                )
            _due_nudges(runtime, n)  # committed at once: all due from now on
            started = time.perf_counter()
            with BusyCores() as busy:
                wait_for(
                    lambda: sink.count() >= n,
                    timeout=600,
                    interval=0.02,
                    what="every nudge at the sink",
                )
            elapsed = time.perf_counter() - started
        finally:
            processes.stop_all()
            sink.stop()
            runtime.engine.dispose()
    return elapsed, busy.cores


def _smtplib_baseline(n: int, settings) -> float:
    """The same messages the dispatcher sends (text and HTML parts, List-Unsubscribe),
    rendered and built beforehand, sent by smtplib over one connection."""
    from datetime import UTC, datetime

    from services.notifications.channels.base import OutgoingMessage
    from services.notifications.channels.email import build_email
    from services.notifications.client_web.links import page_token, page_url
    from services.notifications.client_web.unsubscribe_tokens import make_token, unsubscribe_url
    from services.notifications.wording.templates import render

    sink = SmtpSink().start()
    messages = []
    tenant = uuid.uuid4()
    for i in range(n):
        client = uuid.uuid4()
        url = unsubscribe_url(
            settings.public_base_url, make_token(settings.jwt_secret, tenant, client)
        )
        now = datetime.now(UTC)
        token = page_token(settings.jwt_secret, now, tenant, client, email=f"n{i}@example.net")
        my_page = page_url(settings.public_base_url, token)
        rendered = render(
            "welcome",
            "email",
            {
                "name": "Bench",
                "organisation_name": "your coaching service",
                "help_contact": settings.email_from,
                "unsubscribe_url": url,
                "my_page_url": my_page,
            },
        )
        outgoing = OutgoingMessage(
            f"<{uuid.uuid4()}@coaching.nudges>",
            f"n{i}@example.net",
            rendered.subject,
            rendered.text,
            rendered.html,
            {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
        messages.append(build_email(outgoing, settings.email_from))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        for message in messages:
            client.send_message(message)
    elapsed = time.perf_counter() - started
    sink.stop()
    return elapsed


def bench_dispatcher(tmp: Path, n: int) -> list[Row]:
    ours, _busy = _dispatch_with_processes(tmp / "one", n, 1)
    with real_infrastructure(tmp / "baseline") as (settings, _env):
        baseline = _smtplib_baseline(n, settings)
    return [
        Row(
            "dispatcher",
            "due nudges -> SMTP sink, 1 process",
            n / ours,
            n / baseline,
            ">= 0.5x",
            "nudges/s",
            {"n": n, "timed": "from the commit that makes them due to the last at the sink"},
        )
    ]


def _consume_with_processes(tmp: Path, n: int, count: int) -> tuple[float, float]:
    """Steady state: every worker is up and holding its first batch when the clock starts.

    The harness queues the events while it holds the plans table locked, so the workers
    take their first messages and wait on the lock; queueing costs nothing inside the
    measured window. The clock runs from releasing the lock to the last plan's commit.
    Returns the seconds taken and how many cores were busy meanwhile."""
    from sqlalchemy import func, select, text

    from services.plans.models import RecoveryPlan
    from tests.support.infra import queue_consumers

    with real_infrastructure(tmp) as (settings, env):
        runtime = migrated_runtime("plans", settings)
        bodies = onboarded_bodies(n)
        processes = ProcessSystem(env, tmp / "logs")
        for i in range(count):
            processes.spawn(f"worker-{i}", [sys.executable, "-m", "coaching", "worker", "plans"])

        def plans() -> int:
            with runtime.session_factory() as session:
                return session.scalar(select(func.count()).select_from(RecoveryPlan))

        try:
            wait_for(
                lambda: queue_consumers(env["BROKER_URL"]).get("plans.events") == count,
                what="every worker to consume",
            )
            with runtime.engine.connect() as gate:
                gate.execute(text("LOCK TABLE recovery_plans IN ACCESS EXCLUSIVE MODE"))
                publish_events(settings, bodies, "client.onboarded")
                wait_for(
                    lambda: _waiting_on_locks(runtime) >= min(count, n),
                    what="every worker to hold its first batch",
                )
                with BusyCores() as busy:
                    started = time.perf_counter()
                    gate.rollback()  # releases the lock: the work starts now
                    wait_for(lambda: plans() >= n, timeout=600, interval=0.02, what="every plan")
                    elapsed = time.perf_counter() - started
        finally:
            processes.stop_all()
            runtime.engine.dispose()
    return elapsed, busy.cores


def _waiting_on_locks(runtime) -> int:
    """Sessions of this database waiting for a lock."""
    from sqlalchemy import text

    with runtime.engine.connect() as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


RELAY_REPLY_DELAY = 0.02  # a remote mail relay's answer to a message, in seconds


def bench_scale_out(tmp: Path, n: int) -> list[Row]:
    """Two processes against one. With everything on one small machine, two busy
    processes plus PostgreSQL, RabbitMQ and the SMTP sink can run out of cores before
    they run out of work, so each row also says how many cores were busy. The last row
    has the sink answer after ``RELAY_REPLY_DELAY``, as a remote relay does: waiting,
    not computing, bounds each process, which shows whether dispatchers get in each
    other's way."""
    cores = os.cpu_count()
    slow_n = max(1, n // 10)  # waiting-bound: a tenth of the nudges gives a steady figure
    rows = []
    for index, (label, unit, size, measure) in enumerate(
        (
            ("consumer", "events/s", n, _consume_with_processes),
            ("dispatcher", "nudges/s", n, _dispatch_with_processes),
            (
                f"dispatcher, relay answering in {RELAY_REPLY_DELAY * 1000:.0f} ms",
                "nudges/s",
                slow_n,
                partial(_dispatch_with_processes, reply_delay=RELAY_REPLY_DELAY),
            ),
        )
    ):
        one, busy_one = measure(tmp / f"{index}-1", size, 1)
        two, busy_two = measure(tmp / f"{index}-2", size, 2)
        rows.append(
            Row(
                "scale-out",
                f"{label}, 2 processes vs 1",
                size / two,
                size / one,
                ">= 1.7x",
                unit,
                {
                    "n": size,
                    "cores": cores,
                    "busy_cores_1_process": round(busy_one, 2),
                    "busy_cores_2_processes": round(busy_two, 2),
                    # The ratio two processes would reach by keeping every core busy at
                    # the machine-wide cost per item of one: more is out of reach here.
                    "ceiling": round(cores / busy_one, 2) if busy_one else None,
                },
            )
        )
    return rows
