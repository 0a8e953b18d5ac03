"""Growth: each hot operation timed at 1x, 10x and 100x today's data.

For each size the harness makes fresh databases for plans and notifications, migrates
them and writes the rows straight into PostgreSQL with ``COPY`` (no service code, no
events), then ``ANALYZE``s and times every operation ``REPEATS`` times after two warm-up
runs: p50 and p99 of the wall time, and the SQL statements one run issues. What grows
with the size (the factor ``f``):

- the platform: ``base * f`` clients over 100 organisations whose sizes follow
  a Zipf law (the largest holds about a fifth), one coach per ~40 clients; each client
  has a plan (two goals, a daily step), a check-in, and a history spread over two
  years: ``HISTORY`` journal entries, step occurrences, timeline entries and nudges;
- the messaging tables: ``HISTORY`` processed (inbox) rows and published outbox rows per
  client in each service, spread over the last 30 days (inbox) and 7 days (outbox, its
  retention), with 200 outbox rows waiting;
- nothing of the admin's organisation: 20,000 clients (``ADMIN_CLIENTS``) at every
  size, with HISTORY rows each, its caseload sorted afresh on each page.

What does not grow, as the issue fixes it: the coach measured has 50 clients, the admin's
organisation 20,000, and the
plan measured (journal, progress, report) has two years of history of its own (a daily
step, two replies a day, a weekly check-in, three nudges a day). 500 nudges are due now.

With ``--n`` the base (1x) number of other clients is set (default 700: 100x is 70,000
clients besides the admin's 20,000, and about 1,000,000 rows in each history table,
which this shared machine holds in a few minutes; the issue's 1M clients is 11x more
again and is not run here).

``tests/integration/test_query_plans.py`` fills the same tables at a small size and
checks that no operation's statement is planned as a sequential scan of a big table.

Written beside the JSON: ``growth-<stamp>.png`` (log-log: p50 against size, one line
per operation) and ``growth-<stamp>-explain/<operation>.txt``, the ``EXPLAIN`` of every
statement of one run of each operation at the largest size.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event

from bench import harness
from bench.harness import Row, migrated_runtime, percentile, real_infrastructure
from shared.clock import FrozenClock

FACTORS = (1, 10, 100)
COACH_CLIENTS = 50
HISTORY = 10  # rows per client in each history table
ORGANISATIONS = 100
ADMIN_CLIENTS = 20_000
REPEATS = 20
DUE_NOW = 500
TIMEZONES = ("Australia/Sydney", "Europe/London", "America/New_York", "Asia/Kolkata")
TWO_YEARS = timedelta(days=730)


# -- data ---------------------------------------------------------------------------------


@dataclass
class World:
    """Who and what the operations are timed on."""

    now: datetime
    admin_tenant: uuid.UUID
    admin_id: uuid.UUID
    coach_tenant: uuid.UUID
    coach_id: uuid.UUID
    plan_id: uuid.UUID  # the coach's first client's plan: two years of history
    plan_client: uuid.UUID
    erasable: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    recurring: list[uuid.UUID] = field(default_factory=list)  # sent digests (notifications)
    processed_ids: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class Client:
    tenant: uuid.UUID
    id: uuid.UUID
    coach: uuid.UUID
    plan: uuid.UUID
    goal: uuid.UUID
    step: uuid.UUID
    timezone: str
    history: int  # rows in each history table
    span: timedelta  # how far back the history goes
    measured: bool = False  # the plan whose pages are timed: one row a day and more


def _copy(connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """``COPY table (columns) FROM STDIN`` on ``connection`` (a raw psycopg one)."""
    count = 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def clients_of(
    base: int,
    factor: int,
    rng: random.Random,
    now: datetime,
    measured_days: int = 730,
    admin_clients: int = ADMIN_CLIENTS,
) -> tuple[list[Client], World]:
    """Every client of the platform: the admin's organisation, the measured coach, and the
    rest over ORGANISATIONS organisations of Zipf-distributed sizes."""
    admin_tenant, coach_tenant = uuid.uuid4(), uuid.uuid4()
    weights = [1 / rank for rank in range(1, ORGANISATIONS + 1)]
    tenants = [uuid.uuid4() for _ in range(ORGANISATIONS)]
    clients: list[Client] = []

    def add(tenant, coach, history=HISTORY, span=TWO_YEARS, measured=False) -> Client:
        client = Client(
            tenant,
            uuid.uuid4(),
            coach,
            uuid.uuid4(),
            uuid.uuid4(),
            uuid.uuid4(),
            rng.choice(TIMEZONES),
            history,
            span,
            measured,
        )
        clients.append(client)
        return client

    coach_id = uuid.uuid4()
    # the measured plan: two years of a daily step, two replies a day, three nudges a day
    days = timedelta(days=measured_days)
    measured = add(coach_tenant, coach_id, history=measured_days, span=days, measured=True)
    for _ in range(COACH_CLIENTS - 1):
        add(coach_tenant, coach_id)
    coaches_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    for _ in range(admin_clients):
        coaches = coaches_of.setdefault(admin_tenant, [])
        if not coaches or len(clients) % 40 == 0:
            coaches.append(uuid.uuid4())
        add(admin_tenant, coaches[-1], history=rng.randint(1, 2 * HISTORY - 1))
    for tenant in rng.choices(tenants, weights, k=base * factor):
        coaches = coaches_of.setdefault(tenant, [])
        if not coaches or rng.random() < 1 / 40:
            coaches.append(uuid.uuid4())
        add(tenant, rng.choice(coaches), history=rng.randint(1, 2 * HISTORY - 1))
    world = World(
        now=now,
        admin_tenant=admin_tenant,
        admin_id=uuid.uuid4(),
        coach_tenant=coach_tenant,
        coach_id=coach_id,
        plan_id=measured.plan,
        plan_client=measured.id,
    )
    return clients, world


def _moments(rng: random.Random, client: Client, now: datetime, n: int) -> list[datetime]:
    if client.measured:  # the measured plan: evenly over its two years
        step = client.span / n
        return [now - client.span + step * i for i in range(n)]
    return sorted(now - client.span * rng.random() for _ in range(n))


def fill_plans(runtime, clients: list[Client], world: World, rng: random.Random) -> None:
    now = world.now
    raw = runtime.engine.raw_connection()
    try:
        connection = raw.driver_connection
        rows = world.rows
        rows["recovery_plans"] = _copy(
            connection,
            "recovery_plans",
            (
                [
                    "id",
                    "tenant_id",
                    "client_id",
                    "coach_id",
                    "status",
                    "timezone",
                    "baseline_ratings",
                    "assessment_version",
                    "risk_flagged",
                    "version",
                    "source_event_id",
                    "created_at",
                    "updated_at",
                ]
            ),
            (
                (
                    c.plan,
                    c.tenant,
                    c.id,
                    c.coach,
                    "active",
                    c.timezone,
                    '{"housing": 5, "health": 4}',
                    1,
                    rng.random() < 0.02,
                    1,
                    uuid.uuid4(),
                    now - c.span,
                    now - c.span,
                )
                for c in clients
            ),
        )
        rows["goals"] = _copy(
            connection,
            "goals",
            [
                "id",
                "tenant_id",
                "plan_id",
                "position",
                "title",
                "domain",
                "priority",
                "status",
                "progress",
                "version",
                "created_at",
            ],
            (
                (
                    gid,
                    c.tenant,
                    c.plan,
                    position,
                    "Stable flat",
                    "housing",
                    "medium",
                    "active",
                    0,
                    1,
                    now - c.span,
                )
                for c in clients
                for position, gid in ((1, c.goal), (2, uuid.uuid4()))
            ),
        )
        rows["action_steps"] = _copy(
            connection,
            "action_steps",
            [
                "id",
                "tenant_id",
                "plan_id",
                "goal_id",
                "title",
                "frequency",
                "local_time",
                "start_date",
                "reminder_lead_minutes",
                "status",
                "scheduled_through",
                "version",
                "created_at",
            ],
            (
                (
                    c.step,
                    c.tenant,
                    c.plan,
                    c.goal,
                    "Walk",
                    "daily",
                    "09:00",
                    (now - c.span).date(),
                    60,
                    "open",
                    # three in ten due for their horizon (the scheduler's clock is `now`)
                    now + (timedelta(days=7) if rng.random() < 0.3 else timedelta(days=9)),
                    1,
                    now - c.span,
                )
                for c in clients
            ),
        )

        def occurrences():
            for c in clients:
                for i, moment in enumerate(_moments(rng, c, now, c.history)):
                    done = rng.random() < 0.6
                    yield (
                        uuid.uuid4(),
                        c.tenant,
                        c.step,
                        f"{moment:%Y-%m-%d}#{i}",
                        moment,
                        "completed" if done else "missed",
                        moment + timedelta(hours=2) if done else None,
                    )
                yield (
                    uuid.uuid4(),
                    c.tenant,
                    c.step,
                    "next",
                    now + timedelta(days=1),
                    "scheduled",
                    None,
                )

        rows["action_occurrences"] = _copy(
            connection,
            "action_occurrences",
            ["id", "tenant_id", "action_id", "occurrence_key", "due_at", "status", "completed_at"],
            occurrences(),
        )

        def journal():
            for c in clients:
                n = c.history * 2 if c.measured else c.history
                for moment in _moments(rng, c, now, n):
                    mood = rng.random() < 0.7
                    yield (
                        uuid.uuid4(),
                        c.tenant,
                        c.id,
                        c.plan,
                        "sms",
                        "mood" if mood else "journal",
                        None if mood else "A good day at the allotment.",
                        rng.randint(1, 10) if mood else None,
                        moment,
                        moment,
                    )

        rows["journal_entries"] = _copy(
            connection,
            "journal_entries",
            [
                "id",
                "tenant_id",
                "client_id",
                "plan_id",
                "channel",
                "intent",
                "text",
                "rating",
                "received_at",
                "created_at",
            ],
            journal(),
        )

        def checkins():
            for c in clients:
                weeks = max(1, c.span.days // 7 if c.measured else 1)
                for i in range(weeks):
                    starts = now - c.span + timedelta(days=7 * i + 1)
                    yield (
                        uuid.uuid4(),
                        c.tenant,
                        c.plan,
                        starts,
                        30,
                        "phone",
                        "recorded",
                        True,
                        rng.randint(1, 10),
                        starts,
                        1,
                        starts,
                    )
                yield (
                    uuid.uuid4(),
                    c.tenant,
                    c.plan,
                    now + timedelta(days=3),
                    30,
                    "phone",
                    "scheduled",
                    None,
                    None,
                    None,
                    1,
                    now,
                )

        rows["checkins"] = _copy(
            connection,
            "checkins",
            [
                "id",
                "tenant_id",
                "plan_id",
                "starts_at",
                "duration_minutes",
                "mode",
                "status",
                "attended",
                "wellbeing",
                "recorded_at",
                "version",
                "created_at",
            ],
            checkins(),
        )

        def timeline():
            for c in clients:
                n = c.history * 3 if c.measured else c.history
                for moment in _moments(rng, c, now, n):
                    yield (
                        uuid.uuid4(),
                        c.tenant,
                        c.id,
                        "notification.sent",
                        uuid.uuid4(),
                        "action_reminder",
                        "email",
                        moment,
                        moment,
                    )

        rows["timeline_entries"] = _copy(
            connection,
            "timeline_entries",
            [
                "id",
                "tenant_id",
                "client_id",
                "event_type",
                "nudge_id",
                "kind",
                "channel",
                "occurred_at",
                "created_at",
            ],
            timeline(),
        )
        rows["revisions"] = _copy(
            connection,
            "revisions",
            [
                "id",
                "tenant_id",
                "plan_id",
                "actor",
                "entity",
                "entity_id",
                "change",
                "fields",
                "created_at",
            ],
            (
                (
                    uuid.uuid4(),
                    c.tenant,
                    c.plan,
                    "system",
                    "plan",
                    c.plan,
                    "created",
                    "{}",
                    now - c.span,
                )
                for c in clients
            ),
        )
        rows["client_profiles"] = _copy(
            connection,
            "client_profiles",
            ["tenant_id", "client_id", "given_name", "family_name", "as_of"],
            ((c.tenant, c.id, "Sam", "Taylor", now - c.span) for c in clients),
        )
        staff = {(c.tenant, c.coach) for c in clients}
        staff.add((world.admin_tenant, world.admin_id))
        rows["staff_members"] = _copy(
            connection,
            "staff_members",
            ["id", "tenant_id", "name", "as_of"],
            ((s, t, "Alex Coach", now - TWO_YEARS) for t, s in staff),
        )
        _fill_messaging(connection, clients, world, rng, "plans")
        raw.commit()
    finally:
        raw.close()


def _fill_messaging(connection, clients, world: World, rng: random.Random, service: str) -> None:
    """Processed events over the last 30 days, published outbox rows over the last 7
    (their retention) and 200 waiting (2% at most), HISTORY per client (on average) of each."""
    now = world.now
    n = len(clients) * HISTORY
    tenants = [c.tenant for c in clients]
    ids = [uuid.uuid4() for _ in range(n)]
    world.processed_ids[service] = rng.sample(ids, 100)
    world.rows[f"{service}.processed_events"] = _copy(
        connection,
        "processed_events",
        ("event_id", "event_type", "tenant_id", "processed_at"),
        (
            (
                event_id,
                "notification.sent",
                rng.choice(tenants),
                now - timedelta(days=30) * rng.random(),
            )
            for event_id in ids
        ),
    )
    body = json.dumps({"type": "notification.sent", "data": {"nudge_id": str(uuid.uuid4())}})

    waiting = min(200, n // 50)  # at most 2% of the outbox, as a relay keeps it

    def outbox():
        for i in range(n + waiting):
            published = i < n
            created = now - timedelta(days=7) * rng.random() if published else now
            client = clients[i % len(clients)]
            yield (
                uuid.uuid4(),
                client.tenant,
                "coaching.events",
                "notification.sent",
                body.encode(),
                "{}",
                str(client.id),
                created,
                created,
                created + timedelta(milliseconds=50) if published else None,
                0,
            )

    world.rows[f"{service}.outbox"] = _copy(
        connection,
        "outbox",
        [
            "message_id",
            "tenant_id",
            "exchange",
            "routing_key",
            "body",
            "headers",
            "aggregate_id",
            "created_at",
            "available_at",
            "published_at",
            "publish_attempts",
        ],
        outbox(),
    )


def fill_notifications(runtime, clients: list[Client], world: World, rng: random.Random):
    now = world.now
    raw = runtime.engine.raw_connection()
    try:
        connection = raw.driver_connection
        world.rows["contacts"] = _copy(
            connection,
            "contacts",
            [
                "tenant_id",
                "client_id",
                "given_name",
                "email",
                "timezone",
                "locale",
                "consent_email",
                "consent_sms",
                "coach_id",
                "status",
                "quiet_start",
                "quiet_end",
                "daily_cap",
                "preferred_channel",
                "checkin_reminder_leads",
                "digest_weekday",
                "digest_local_time",
                "updated_at",
            ],
            (
                (
                    c.tenant,
                    c.id,
                    "Sam",
                    "sam@example.org",
                    c.timezone,
                    "en",
                    True,
                    False,
                    c.coach,
                    "active",
                    "21:00",
                    "08:00",
                    3,
                    "email",
                    "[1440, 60]",
                    "sun",
                    "17:00",
                    now - c.span,
                )
                for c in clients
            ),
        )
        kinds = ("action_reminder", "checkin_reminder", "mood_prompt", "weekly_digest")
        due = set(rng.sample(range(len(clients)), min(DUE_NOW, len(clients))))
        digests: list[uuid.UUID] = []

        def nudges():
            for index, c in enumerate(clients):
                n = c.history * 3 if c.measured else c.history
                for moment in _moments(rng, c, now, n):
                    nudge_id = uuid.uuid4()
                    kind = rng.choice(kinds)
                    if kind == "weekly_digest" and len(digests) < 200:
                        digests.append(nudge_id)
                    yield (
                        nudge_id,
                        c.tenant,
                        c.id,
                        kind,
                        f"{uuid.uuid4()}",
                        "client",
                        1,
                        "sent",
                        "email",
                        moment,
                        1,
                        moment,
                        moment,
                        moment,
                    )
                # one pending in the future each; the burst's head due now
                yield (
                    uuid.uuid4(),
                    c.tenant,
                    c.id,
                    "action_reminder",
                    "next",
                    "client",
                    1,
                    "scheduled",
                    None,
                    now + timedelta(hours=rng.randint(1, 48)),
                    0,
                    None,
                    now,
                    now,
                )
                if index in due:
                    yield (
                        uuid.uuid4(),
                        c.tenant,
                        c.id,
                        "action_reminder",
                        "due",
                        "client",
                        rng.choice((1, 1, 1, 2)),
                        "scheduled",
                        None,
                        now - timedelta(seconds=rng.randint(0, 600)),
                        0,
                        None,
                        now,
                        now,
                    )

        world.rows["nudges"] = _copy(
            connection,
            "nudges",
            [
                "id",
                "tenant_id",
                "client_id",
                "kind",
                "occurrence_key",
                "audience",
                "priority",
                "state",
                "channel",
                "due_at",
                "attempts",
                "sent_at",
                "created_at",
                "updated_at",
            ],
            nudges(),
        )
        world.recurring = digests
        _fill_messaging(connection, clients, world, rng, "notifications")
        raw.commit()
    finally:
        raw.close()


# -- measuring ----------------------------------------------------------------------------


class Statements:
    """Counts (and, when asked, keeps) the SQL statements issued on some engines."""

    def __init__(self, *engines):
        self.engines = engines
        self.count = 0
        self.kept: list[tuple[str, object]] | None = None
        for engine in engines:
            event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany):
        self.count += 1
        if self.kept is not None and not executemany:
            self.kept.append((statement, parameters))

    def close(self):
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._seen)


_EXPLAINABLE = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)\b", re.I)


def _explain(engine, kept: list[tuple[str, object]]) -> str:
    """The plan of each statement kept, inside a transaction rolled back (EXPLAIN ANALYZE
    of an UPDATE changes nothing then)."""
    out = []
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            for statement, parameters in kept:
                if not _EXPLAINABLE.match(statement):
                    continue
                plan = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or {}
                ).scalars()
                out.append(statement.strip() + "\n\n" + "\n".join(plan) + "\n")
        except Exception as exc:  # a statement that cannot be replayed alone
            out.append(f"(not explained: {type(exc).__name__}: {exc})\n")
        finally:
            transaction.rollback()
    return ("\n" + "-" * 80 + "\n").join(out)


# The tables that grow with the platform: never read by a sequential scan on a hot path.
BIG_TABLES = frozenset(
    {
        "recovery_plans",
        "goals",
        "action_steps",
        "action_occurrences",
        "checkins",
        "journal_entries",
        "timeline_entries",
        "revisions",
        "client_profiles",
        "contacts",
        "nudges",
        "outbox",
        "processed_events",
    }
)


def seq_scans(engine, kept: list[tuple[str, object]]) -> list[tuple[str, str]]:
    """(table, statement) for each big table a kept statement would read whole even with
    ``enable_seqscan`` (and hash and merge joins) off: a sequential scan, or an index scan
    with no condition on the index (every entry read). Either is a plan whose cost grows
    with the table: no index serves the statement."""
    found = []
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            # As the planner plans for big tables: no sequential scans, and joins by index
            # lookups rather than by hashing or merging one side whole (which it prefers
            # for the few rows a small copy has).
            for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
                connection.exec_driver_sql(f"SET LOCAL {setting} = off")
            for statement, parameters in kept:
                if not _EXPLAINABLE.match(statement):
                    continue
                (plan,) = connection.exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + statement, parameters or {}
                ).scalar_one()
                found += [(table, statement) for table in _whole_reads(plan["Plan"])]
        finally:
            transaction.rollback()
    return found


def _whole_reads(node: dict) -> list[str]:
    table = node.get("Relation Name")
    whole = node["Node Type"] == "Seq Scan" or (
        node["Node Type"] in ("Index Scan", "Index Only Scan") and "Index Cond" not in node
    )
    found = [table] if whole and table in BIG_TABLES else []
    for child in node.get("Plans", ()):
        found += _whole_reads(child)
    return found


@dataclass
class Operation:
    name: str
    service: str  # whose engine the statements go to
    run: Callable[[int], None]  # called with the repetition's number


def plans_operations(runtime, world: World) -> list[Operation]:
    from services.plans.models import ProcessedEvent
    from services.plans.scheduler import PlansScheduler
    from shared.auth import issue_token
    from shared.messaging.inbox import _inbox_insert_from_arrays
    from shared.principals import Principal

    app = runtime.create_app()
    http = app.test_client()
    secret = runtime.settings.jwt_secret

    def token(tenant, staff, role):
        principal = Principal(staff_id=staff, tenant_id=tenant, role=role)
        value = issue_token(secret, principal, 24 * 3600, issued_at=world.now)
        return {"Authorization": f"Bearer {value}"}

    coach = token(world.coach_tenant, world.coach_id, "coach")
    admin = token(world.admin_tenant, world.admin_id, "org_admin")

    def get(path, headers):
        def run(_i):
            answer = http.get(path, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(f"{path}: {answer.status_code} {answer.get_data(True)[:300]}")

        return run

    relay = runtime.relay()
    scheduler = PlansScheduler(runtime)
    inbox = _inbox_insert_from_arrays(ProcessedEvent.__table__)

    def relay_claim(_i):
        with runtime.session_factory() as session:
            relay._claim(session)
            session.rollback()

    def inbox_check(_i):
        fresh = [uuid.uuid4() for _ in range(100)]
        ids = world.processed_ids["plans"] + fresh
        with runtime.session_factory() as session:
            new = (
                session.execute(
                    inbox,
                    {
                        "event_ids": ids,
                        "event_types": ["notification.sent"] * len(ids),
                        "tenant_ids": [world.coach_tenant] * len(ids),
                        "processed_at": world.now,
                    },
                )
                .scalars()
                .all()
            )
            session.rollback()
        if len(new) != len(fresh):
            raise RuntimeError(f"inbox check: {len(new)} new of {len(fresh)}")

    def tick(_i):
        scheduler.tick()

    def erase(i):
        from services.plans.erasure import erase_client

        tenant, client = world.erasable[i % len(world.erasable)]
        with runtime.unit_of_work() as uow:
            erase_client(uow, _erased_event(tenant, client, world.now))
            uow.commit()

    plan = world.plan_id
    return [
        Operation("caseload, coach of 50", "plans", get("/v1/caseload?limit=50", coach)),
        Operation("caseload, admin of the big org", "plans", get("/v1/caseload?limit=50", admin)),
        Operation("journal page", "plans", get(f"/v1/plans/{plan}/journal", coach)),
        Operation("progress", "plans", get(f"/v1/plans/{plan}/progress", coach)),
        Operation("report.html", "plans", get(f"/v1/plans/{plan}/report.html", coach)),
        Operation("plans inbox duplicate check (200)", "plans", inbox_check),
        Operation("plans outbox relay claim", "plans", relay_claim),
        Operation("plans scheduler tick", "plans", tick),
        Operation("plans erasure of one client", "plans", erase),
    ]


def _erased_event(tenant, client, now):
    from shared.events import Event
    from shared.events.data import ClientErasedV1

    return Event(
        id=uuid.uuid4(),
        type="client.erased",
        version=1,
        tenant_id=tenant,
        occurred_at=now,
        producer="intake",
        correlation_id=None,
        causation_id=None,
        data=ClientErasedV1(client_id=client),
    )


def notifications_operations(runtime, world: World) -> list[Operation]:
    from services.notifications.digest.recurring_nudges import schedule_following
    from services.notifications.dispatcher.claiming import claim_due
    from services.notifications.erasure import on_client_erased
    from services.notifications.models import Nudge

    def claim(_i):
        with runtime.session_factory() as session:
            claimed = claim_due(session, world.now, 50, world.now)
            session.rollback()
        if len(claimed) != 50:
            raise RuntimeError(f"claimed {len(claimed)} of 50")

    def recurring(i):
        ids = world.recurring[(i * 10) % len(world.recurring) :][:10]
        with runtime.unit_of_work() as uow:
            done = [uow.session.get(Nudge, nudge_id) for nudge_id in ids]
            schedule_following(uow, done, world.now)
            uow.session.flush()
            uow.session.rollback()

    def erase(i):
        tenant, client = world.erasable[i % len(world.erasable)]
        with runtime.unit_of_work() as uow:
            on_client_erased(_erased_event(tenant, client, world.now), uow)
            uow.commit()

    return [
        Operation("dispatcher claim (50)", "notifications", claim),
        Operation("recurring scheduling (10 digests)", "notifications", recurring),
        Operation("notifications erasure of one client", "notifications", erase),
    ]


# What this branch changed, by operation: the indexes it added (dropped for "before") and,
# for the caseload, GREATEST in place of the portable CASE.
FIXES = {
    "plans scheduler tick": (
        "plans",
        ("ix_plans_review_pending", "ix_checkins_scheduled", "ix_steps_horizon"),
    ),
    "plans erasure of one client": ("plans", ("ix_outbox_aggregate", "ix_outbox_held")),
    "notifications erasure of one client": ("notifications", ("ix_outbox_aggregate",)),
    "caseload, admin of the big org": ("plans", ()),
}


@contextlib.contextmanager
def _without_fixes(runtimes):
    from services.plans import caseload

    for service, indexes in FIXES.values():
        with runtimes[service].autocommit_engine.connect() as connection:
            for index in indexes:
                connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
            connection.exec_driver_sql("ANALYZE")
    later = caseload._later
    caseload._later = lambda first, second, _dialect: later(first, second, "portable")
    try:
        yield
    finally:
        caseload._later = later


def _offset(run, by: int):
    return lambda i: run(i + by)


def _measure(operations, runtimes, explain_dir: Path | None) -> dict[str, dict]:
    figures = {}
    for op in operations:
        engine = runtimes[op.service].engine
        counter = Statements(engine, runtimes[op.service].autocommit_engine)
        try:
            times, statements = [], []
            for i in range(REPEATS + 2):
                counter.count = 0
                started = time.perf_counter()
                op.run(i)
                elapsed = time.perf_counter() - started
                if i >= 2:
                    times.append(elapsed * 1000)
                    statements.append(counter.count)
            if explain_dir is not None:
                counter.kept = []
                op.run(REPEATS + 2)
                kept, counter.kept = counter.kept, None
                name = re.sub(r"[^a-z0-9]+", "-", op.name.lower()).strip("-")
                (explain_dir / f"{name}.txt").write_text(_explain(engine, kept))
        finally:
            counter.close()
        figures[op.name] = {
            "p50_ms": percentile(times, 50),
            "p99_ms": percentile(times, 99),
            "statements": max(statements),
        }
    return figures


def _one_size(tmp: Path, base: int, factor: int, explain_dir: Path | None) -> tuple[dict, dict]:
    rng = random.Random(factor)
    now = datetime.now(UTC).replace(microsecond=0)
    with real_infrastructure(tmp / f"x{factor}") as (settings, _env):
        runtimes = {name: migrated_runtime(name, settings) for name in ("plans", "notifications")}
        try:
            # a tiny run (``make test-long``: --n 1) keeps the admin's organisation tiny too
            admin = ADMIN_CLIENTS if base >= 100 else 20 * base
            clients, world = clients_of(base, factor, rng, now, admin_clients=admin)
            started = time.perf_counter()
            fill_plans(runtimes["plans"], clients, world, rng)
            fill_notifications(runtimes["notifications"], clients, world, rng)
            background = [c for c in clients if c.tenant not in (world.coach_tenant,)]
            world.erasable = [
                (c.tenant, c.id)
                for c in rng.sample(background, min(len(background), 2 * REPEATS + 6))
            ]
            for runtime in runtimes.values():
                with runtime.autocommit_engine.connect() as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
            filled = time.perf_counter() - started
            bytes_per_row = {
                f"{name}.{table}": per_row
                for name, runtime in runtimes.items()
                for table, per_row in _bytes_per_row(runtime).items()
            }
            runtimes["plans"].clock = FrozenClock(world.now)
            operations = notifications_operations(runtimes["notifications"], world)
            operations += plans_operations(runtimes["plans"], world)
            figures = _measure(operations, runtimes, explain_dir)
            # The same operations without this branch's fixes, in the same run, on the
            # same data: the "before" of each.
            with _without_fixes(runtimes):
                undone = [op for op in operations if op.name in FIXES]
                for op in undone:
                    op.run = _offset(op.run, REPEATS + 3)
                before = _measure(undone, runtimes, None)
            figures |= {f"{name} (before the fix)": v for name, v in before.items()}
        finally:
            for runtime in runtimes.values():
                runtime.engine.dispose()
                runtime.autocommit_engine.dispose()
    sizes = {"clients": len(clients), "fill_seconds": round(filled, 1)} | world.rows
    return figures, sizes | {"bytes_per_row": bytes_per_row}


def _bytes_per_row(runtime) -> dict[str, int]:
    """Each big table's size on disk with its indexes, per live row (for capacity.md)."""
    with runtime.autocommit_engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT relname, n_live_tup, pg_total_relation_size(relid) "
            "FROM pg_stat_user_tables WHERE n_live_tup > 0"
        ).all()
    return {t: round(size / rows) for t, rows, size in found if t in BIG_TABLES and rows >= 1000}


def bench_growth(tmp: Path, n: int) -> list[Row]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    harness.RESULTS_DIR.mkdir(exist_ok=True)
    explain_dir = harness.RESULTS_DIR / f"growth-{stamp}-explain"
    explain_dir.mkdir()
    by_size, sizes = {}, {}
    for factor in FACTORS:
        last = factor == FACTORS[-1]
        by_size[factor], sizes[factor] = _one_size(tmp, n, factor, explain_dir if last else None)
        print(f"growth: {factor}x measured ({sizes[factor]})", flush=True)
        (harness.RESULTS_DIR / f"growth-{stamp}-sizes.json").write_text(json.dumps(sizes, indent=1))
    chart = harness.RESULTS_DIR / f"growth-{stamp}.png"
    _chart(by_size, chart)
    rows = []
    first, last = FACTORS[0], FACTORS[-1]
    for name in by_size[first]:
        p50 = {f: by_size[f][name]["p50_ms"] for f in FACTORS}
        notes = {f"{f}x": by_size[f][name] for f in FACTORS} | {
            "sizes": {f"{f}x": sizes[f] for f in FACTORS},
            "chart": str(chart),
        }
        notes["explain"] = str(explain_dir)
        rows.append(
            Row(
                "growth",
                f"{name}, p50 {last}x vs {first}x",
                p50[last],
                p50[first],
                "≤ 2.0×",
                "ms",
                notes,
            )
        )
    _print(by_size)
    return rows


def _print(by_size: dict) -> None:
    print()
    head = (
        f"{'operation':<40}"
        + "".join(f"{f'{f}x p50/p99 ms (stmts)':>28}" for f in FACTORS)
        + f"{'ratio':>8}"
    )
    print(head)
    print("-" * len(head))
    for name in by_size[FACTORS[0]]:
        cells = "".join(
            f"{by_size[f][name]['p50_ms']:>10.2f} / {by_size[f][name]['p99_ms']:>7.2f} "
            f"({by_size[f][name]['statements']:>3})"
            for f in FACTORS
        )
        ratio = by_size[FACTORS[-1]][name]["p50_ms"] / by_size[FACTORS[0]][name]["p50_ms"]
        print(f"{name:<40}{cells}{ratio:>7.2f}x")
    print()


def _chart(by_size: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 6))
    colours = pyplot.get_cmap("tab20").colors
    for index, name in enumerate(by_size[FACTORS[0]]):
        axes.plot(
            FACTORS,
            [by_size[f][name]["p50_ms"] for f in FACTORS],
            marker="o",
            label=name,
            color=colours[index % len(colours)],
            linestyle="--" if name.endswith("(before the fix)") else "-",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("data size (1x = today's)")
    axes.set_ylabel("p50 ms per operation")
    axes.set_title("Growth: time per operation against data size")
    axes.legend(fontsize=7)
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


__all__ = ["bench_growth"]
