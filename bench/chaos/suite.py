"""The fault suite: ``make chaos`` (``python -m bench.chaos [--quick]``).

It starts its own 3-node RabbitMQ cluster (quorum queues) and fresh PostgreSQL databases,
runs every process of the three services (each under ``coaching.restarting``, as an
orchestrator would restart it), keeps a steady stream of client journeys going, and
injects one fault at a time. After each it waits until every journey started in that
window has all its effects, then counts:

- lost: an expected effect missing at the deadline;
- duplicated: an effect twice (an email re-sent with the same ``Message-ID`` after the
  dispatcher died between the server's 250 and recording it is explained, and counted
  apart);
- stuck: outbox rows from before the fault's end still unpublished, nudges ``sending``
  past their lease, dead letters that are not the injected poison;
- humans: processes the suite had to start again itself (their supervisor gave up).

It exits non-zero if any of those is not zero.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

from bench.chaos.cluster import Cluster, ClusterError
from bench.chaos.faults import FAULTS, Fault
from bench.chaos.journeys import Journey, Stream
from bench.chaos.providers import FaultySmtp, SmsProvider
from coaching.registry import SERVICES
from tests.support import infra
from tests.support.api import HttpTransport, PlatformApi
from tests.support.processes import ROLES, ProcessSystem

PLATFORM_TOKEN = "chaos-platform-token"
RECOVERY_DEADLINE_SECONDS = 120.0


@dataclass
class Result:
    fault: str
    journeys: int = 0
    effects: int = 0
    lost: int = 0
    duplicated: int = 0
    explained: int = 0
    stuck: int = 0
    humans: int = 0
    recovery: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.stuck or self.humans) and (
            self.recovery is not None
        )


@dataclass
class Observation:
    """Every effect there is, read from the databases and the providers."""

    plans: Counter
    welcome: dict  # client id -> (state, reason)
    digests: Counter
    emails: dict  # address -> [Message-ID, ...]
    refused_emails: Counter
    texts: Counter


class ChaosSystem:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.arm_dir = tmp / "arm"
        self.arm_dir.mkdir()
        self.cluster: Cluster | None = None
        self.database_urls: dict[str, str] = {}
        self.processes: ProcessSystem | None = None
        self.smtp = FaultySmtp()
        self.sms = SmsProvider()
        self.poison: set[bytes] = set()  # bodies of the injected poison messages
        self.humans: list[str] = []
        self._notes: list[str] = []
        self._saved_env = dict(os.environ)

    # --- set-up and tear-down -------------------------------------------------------

    def start(self) -> ChaosSystem:
        started = time.monotonic()
        self.cluster = Cluster()  # kept first, so that stop() removes a half-started one
        self.cluster.start()
        print(f"RabbitMQ cluster of 3 up in {time.monotonic() - started:.0f} s", flush=True)
        self.database_urls = infra.create_databases(SERVICES)
        self.smtp.start()
        self.sms.start()
        env = {
            "VAR_DIR": str(self.tmp / "var"),
            "BROKER_URL": self.cluster.broker_url,
            "QUEUE_TYPE": "quorum",
            "JWT_SECRET": "chaos-secret-0123456789abcdef0123456789",
            "PLATFORM_ADMIN_TOKEN": PLATFORM_TOKEN,
            "LOG_LEVEL": "WARNING",
            "RETRY_BASE_SECONDS": "1",
            "SMTP_URL": self.smtp.url,
            "SMS_API_URL": self.sms.url,
            "SMS_ACCOUNT_SID": "ACchaos",
            "SMS_AUTH_TOKEN": "chaos-sms-token",
            "SMS_FROM": "+61400000000",
            "CHAOS_ARM_DIR": str(self.arm_dir),
            "CHAOS_PROVIDER_TIMEOUT": "3",
            **{f"{s.upper()}_DATABASE_URL": url for s, url in self.database_urls.items()},
        }
        os.environ.update(env)
        self.processes = ProcessSystem(env, self.tmp / "logs").prepare()
        leaders = self.cluster.leader_nodes()
        print(
            f"{len(leaders)} quorum queues, their leaders on "
            f"{len(set(leaders.values()))} of {len(self.cluster.nodes)} nodes",
            flush=True,
        )
        if len(set(leaders.values())) < 2:
            raise ClusterError(f"queue leaders not spread over the cluster: {leaders}")
        for role in ROLES:
            self._spawn(role)
        for service in SERVICES:
            self._await_healthy(service, 60)
        print(f"{len(ROLES)} processes up in {time.monotonic() - started:.0f} s", flush=True)
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            for name, process in list(self.processes.processes.items()):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGCONT)
                self.processes.stop(name, timeout=10)
        with contextlib.suppress(Exception):
            if self.cluster:
                self.cluster.stop()
        with contextlib.suppress(Exception):
            if self.database_urls:
                infra.drop_databases(self.database_urls)
        with contextlib.suppress(Exception):
            self.smtp.stop()
        with contextlib.suppress(Exception):
            self.sms.stop()
        os.environ.clear()
        os.environ.update(self._saved_env)

    # --- processes ------------------------------------------------------------------

    def _spawn(self, role: str) -> None:
        """The role's process under its supervisor, through the crash-point launcher."""
        launcher = [sys.executable, "-m", "bench.chaos.launcher", *ROLES[role]]
        self.processes.spawn(
            role, [sys.executable, "-m", "coaching.restarting", role, "--", *launcher]
        )

    def _await_healthy(self, service: str, timeout: float) -> None:
        url = self.processes.base_urls[service] + "/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=1).ok:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{service} api not healthy within {timeout:.0f} s")

    def child_pid(self, role: str, timeout: float = 30) -> int:
        """The pid of the process its supervisor (``coaching.restarting``) runs now."""
        supervisor = self.processes.processes[role].pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text()
                if children.split():
                    return int(children.split()[0])
            time.sleep(0.05)
        raise RuntimeError(f"{role} has no running process")

    def await_restart(self, role: str, old_pid: int, timeout: float = 60) -> None:
        """Wait until the supervisor runs a new process for ``role`` (and an API answers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError):
                if self.child_pid(role, timeout=1) != old_pid:
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{role} was not started again within {timeout:.0f} s")
        if role.endswith("-api"):
            self._await_healthy(role.removesuffix("-api"), timeout)

    def restarts(self) -> Counter:
        """How often each supervisor started its process again, from their logs."""
        counts = Counter()
        for role in ROLES:
            log = self.processes.log_dir / f"{role}.log"
            with contextlib.suppress(OSError):
                counts[role] = log.read_text(errors="replace").count("starting it again")
        return counts

    def call_humans(self) -> list[str]:
        """Supervisors that gave up: the suite starts them again, and counts a human."""
        gone = [
            role for role, process in self.processes.processes.items() if process.poll() is not None
        ]
        for role in gone:
            self.humans.append(role)
            self.processes.processes.pop(role)
            self._spawn(role)
        return gone

    # --- the bus --------------------------------------------------------------------

    def publish(
        self,
        body: bytes,
        routing_key: str,
        message_id: str,
        exchange: str | None = None,
        headers: dict | None = None,
    ) -> None:
        from coaching.registry import load_settings
        from shared.messaging.connection import broker_connection, ensure_connected
        from shared.messaging.publisher import ConfirmingPublisher, OutgoingMessage

        settings = load_settings()
        with ensure_connected(broker_connection(settings, confirm_publish=True)) as connection:
            outcome = ConfirmingPublisher(connection).publish_batch(
                [
                    OutgoingMessage(
                        body=body,
                        exchange=exchange or settings.exchange_name,
                        routing_key=routing_key,
                        headers=headers or {},
                        message_id=message_id,
                    )
                ]
            )
        if outcome != [None]:
            raise RuntimeError(f"the broker refused an injected message: {outcome}")

    def dead_letters(self) -> list[bytes]:
        """The body of every parked message of every service."""
        from coaching.registry import load_settings
        from shared.messaging import deadletters

        settings = load_settings()
        return [
            letter.body for service in SERVICES for letter in deadletters.peek(settings, service)
        ]

    # --- observing ------------------------------------------------------------------

    def note(self, text: str) -> None:
        self._notes.append(text)

    def take_notes(self) -> list[str]:
        notes, self._notes = self._notes, []
        return notes

    def dsn(self, service: str) -> str:
        """The service's database as psycopg takes it (not SQLAlchemy's URL)."""
        return self.database_urls[service].replace("+psycopg", "")

    def _query(self, service: str, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.dsn(service), autocommit=True, connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def observe(self) -> Observation:
        plans = Counter(
            dict(
                self._query(
                    "plans", "SELECT client_id::text, count(*) FROM recovery_plans GROUP BY 1"
                )
            )
        )
        nudges = self._query(
            "notifications",
            "SELECT client_id::text, kind, state, reason FROM nudges "
            "WHERE kind IN ('welcome', 'weekly_digest')",
        )
        welcome = {c: (state, reason) for c, kind, state, reason in nudges if kind == "welcome"}
        digests = Counter(c for c, kind, _s, _r in nudges if kind == "weekly_digest")
        return Observation(
            plans=plans,
            welcome=welcome,
            digests=digests,
            emails=self.smtp.handler.message_ids_by_recipient(),
            refused_emails=Counter(self.smtp.handler.refused),
            texts=Counter(self.sms.counts()),
        )

    def outbox_heads(self) -> dict[str, int]:
        return {
            s: self._query(s, "SELECT coalesce(max(id), 0) FROM outbox")[0][0] for s in SERVICES
        }

    def stuck_rows(self, heads: dict[str, int]) -> list[str]:
        stuck = []
        for service, head in heads.items():
            (count,) = self._query(
                service,
                "SELECT count(*) FROM outbox WHERE published_at IS NULL AND id <= %s",
                (head,),
            )[0]
            if count:
                stuck.append(f"{count} {service} outbox rows unpublished")
            # A handler failing again and again: its message waits in the outbox for its
            # next attempt (addressed to the service's own queue on the direct exchange)
            # until the runner parks it. Whenever it was written, it is not settled.
            (retrying,) = self._query(
                service,
                "SELECT count(*) FROM outbox WHERE published_at IS NULL AND exchange LIKE %s",
                ("%.direct",),
            )[0]
            if retrying:
                stuck.append(f"{retrying} {service} messages waiting to be retried")
        (sending,) = self._query(
            "notifications",
            "SELECT count(*) FROM nudges WHERE state = 'sending' AND claimed_until < now()",
        )[0]
        if sending:
            stuck.append(f"{sending} nudges sending past their lease")
        return stuck


def journey_state(journey: Journey, seen: Observation, explains_resend: bool) -> dict:
    """What became of one journey: done, and its duplicates (explained or not)."""
    client = journey.client_id
    state, reason = seen.welcome.get(client, (None, None))
    address = journey.address.lower()
    if journey.channel == "email":
        delivered = seen.emails.get(address, [])
        refused = seen.refused_emails.get(address, 0)
    else:
        delivered = [None] * seen.texts.get(journey.address, 0)
        refused = 0
    welcomed = (state == "sent" and len(delivered) >= 1) or (
        # A permanent SMTP refusal fails the nudge with its reason: an outcome, not a loss.
        state == "failed" and refused and not delivered and "SMTP 5" in (reason or "")
    )
    done = seen.plans[client] >= 1 and seen.digests[client] >= 1 and welcomed
    duplicated = max(0, seen.plans[client] - 1) + max(0, seen.digests[client] - 1)
    explained = 0
    if len(delivered) > 1:
        same_message = journey.channel == "email" and len(set(delivered)) == 1
        if same_message and explains_resend:
            explained = len(delivered) - 1
        else:
            duplicated += len(delivered) - 1
    missing = []
    if not seen.plans[client]:
        missing.append("plan")
    if not seen.digests[client]:
        missing.append("digest")
    if not welcomed:
        missing.append(f"welcome ({state or 'no nudge'}, {len(delivered)} delivered)")
    return {"done": done, "duplicated": duplicated, "explained": explained, "missing": missing}


def _stuck(system: ChaosSystem, heads: dict[str, int], new_poison: set[bytes]) -> list[str]:
    stuck = system.stuck_rows(heads)
    parked = system.dead_letters()
    unexplained = [body for body in parked if body not in system.poison]
    if unexplained:
        stuck.append(f"{len(unexplained)} dead letters that are no injected poison")
    not_parked = new_poison - set(parked)
    if not_parked:
        stuck.append(f"{len(not_parked)} poison messages not parked")
    return stuck


def run_window(system: ChaosSystem, stream: Stream, fault: Fault, lead: float) -> Result:
    result = Result(fault.name)
    stream.window = fault.name
    restarts_before = system.restarts()
    time.sleep(lead)  # journeys already in flight when the fault strikes
    print(f"- {fault.name} ...", end=" ", flush=True)
    poison_before = set(system.poison)
    try:
        fault.inject(system)
    except Exception as exc:  # noqa: BLE001 - the row fails, the suite goes on
        system.note(f"the fault could not be injected: {type(exc).__name__}: {exc}"[:300])
        result.stuck += 1
    fault_end = time.time()
    time.sleep(lead / 2)  # and some that start while the system recovers
    stream.window = "between faults"
    heads = system.outbox_heads()
    new_poison = system.poison - poison_before
    deadline = time.monotonic() + RECOVERY_DEADLINE_SECONDS
    journeys = stream.of_window(fault.name)
    states: list[dict] = []
    seen: Observation | None = None
    stuck: list[str] = []
    while True:
        if all(j.finished_http for j in journeys):
            # While a fault's after-effects last, reading may fail: try again later.
            with contextlib.suppress(Exception):
                seen = system.observe()
                taken = [j for j in journeys if j.client_id and j.onboarded_at]
                states = [journey_state(j, seen, fault.explains_resend) for j in taken]
                if all(s["done"] for s in states):
                    stuck = _stuck(system, heads, new_poison)
                    if not stuck:
                        result.recovery = time.time() - fault_end
                        break
        if time.monotonic() > deadline:
            with contextlib.suppress(Exception):
                stuck = _stuck(system, heads, new_poison)
            break
        time.sleep(1)
    result.journeys = len([j for j in journeys if j.onboarded_at])
    gave_up = [j for j in journeys if j.gave_up]
    result.effects = result.journeys * 3
    result.lost = sum(len(s["missing"]) for s in states if not s["done"]) + len(gave_up)
    result.duplicated = sum(s["duplicated"] for s in states)
    result.explained = sum(s["explained"] for s in states)
    result.stuck += len(stuck)
    humans = system.call_humans()
    result.humans = len(humans)
    restarted = system.restarts() - restarts_before
    result.notes = system.take_notes()
    if restarted:
        result.notes.append(
            "restarted by supervisor: " + ", ".join(f"{r}×{n}" for r, n in restarted.items())
        )
    result.notes += stuck
    result.notes += [f"needed a human: {r}" for r in humans]
    result.notes += [f"journey {j.number} not taken: {j.gave_up}" for j in gave_up[:3]]
    if seen is not None:
        refused = [j for j in journeys if seen.welcome.get(j.client_id, ("",))[0] == "failed"]
        if refused:
            result.notes.append(f"{len(refused)} welcomes failed for good with the server's reason")
    missing = [s["missing"] for s in states if not s["done"]]
    if missing:
        result.notes.append(f"missing e.g. {missing[:3]}")
    print("ok" if result.ok else "FAILED", flush=True)
    return result


def print_table(results: list[Result]) -> None:
    header = (
        f"{'fault':<56} {'journeys':>8} {'effects':>7} {'lost':>4} {'dup':>4} "
        f"{'dup expl.':>9} {'stuck':>5} {'human':>5} {'recovery':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        recovery = f"{r.recovery:.1f} s" if r.recovery is not None else "never"
        print(
            f"{r.fault:<56} {r.journeys:>8} {r.effects:>7} {r.lost:>4} {r.duplicated:>4} "
            f"{r.explained:>9} {r.stuck:>5} {r.humans:>5} {recovery:>9}"
        )
    notes = [(r.fault, n) for r in results for n in r.notes]
    if notes:
        print()
        for fault, note in notes:
            print(f"  {fault}: {note}")


def run(quick: bool = False, only: list[str] | None = None) -> list[Result]:
    faults = [f for f in FAULTS if f.quick or not quick]
    if only:
        faults = [f for f in faults if any(word.lower() in f.name.lower() for word in only)]
    rate, lead = (1.5, 2.0) if quick else (2.0, 3.0)
    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    system = ChaosSystem(tmp)
    stream = None
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        system.start()
        api = PlatformApi(HttpTransport(system.processes.base_urls), PLATFORM_TOKEN)
        organisation, token = api.new_tenant()
        stream = Stream(
            system.processes.base_urls, token, organisation["admin"]["id"], rate
        ).start()
        results = [run_window(system, stream, fault, lead) for fault in faults]
        print_table(results)
        return results
    except BaseException:
        if system.processes:
            print(system.processes.logs()[-8000:], file=sys.stderr)
        raise
    finally:
        if stream:
            stream.stop()
        system.stop()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer journeys, fewer faults")
    parser.add_argument("--only", nargs="*", help="faults whose name contains one of these")
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = run(quick=args.quick, only=args.only)
    failed = [r.fault for r in results if not r.ok]
    print(f"\n{len(results)} faults in {time.monotonic() - started:.0f} s", end="; ")
    print(f"FAILED: {', '.join(failed)}" if failed else "every journey complete, exactly once")
    return 1 if failed else 0
