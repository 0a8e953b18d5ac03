"""The morning burst: every nudge deferred overnight falls due at 08:00 at once.

N nudges of two organisations and several kinds become due at the same moment (one
UPDATE), on top of that morning's own; a share are held by the daily cap, a share go by
SMS (clients who gave no email consent: the fallback channel). Dispatchers, up and idle
before, send them: one, then two, then two under provider rate limits (with the fake
SMS provider refusing with 429 whatever exceeds its own limit). Beside them, raw
``smtplib`` (and a bare HTTP POST per SMS) sends the same messages.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, insert, select, update

from bench.harness import (
    BusyCores,
    Row,
    migrated_runtime,
    percentile,
    real_infrastructure,
)
from bench.system import _logged, _system
from tests.support.smtp import SmtpSink, free_port
from tests.support.waiting import wait_for

SMS_FROM = "+61400000000"
PHONE = "+61412345678"
# Per client, in turn: how many nudges fall due at 08:00. Every fourth client has four
# with the default daily cap of three, so one in ten nudges is held by the cap.
NUDGES_PER_CLIENT = (1, 2, 3, 4)
SMS_EVERY = 10  # one client in ten gave no email consent: their nudges go by SMS
KINDS = (
    ("welcome", {}),
    ("action_reminder", {"action_title": "Call the housing officer", "due_local": "09:00"}),
    ("checkin_reminder", {"starts_local": "10:00", "mode": "phone", "duration_minutes": 30}),
    ("goal_celebration", {"goal_title": "Stable flat"}),
)
# The run under provider rate limits: ours is set a little under the SMS provider's own.
LIMITED_EMAIL_RATE = 250.0
LIMITED_SMS_RATE = 30.0
PROVIDER_SMS_LIMIT = 40  # messages in any one second; more are answered 429
_MESSAGE_ID = re.compile(rb"^Message-ID: *(\S+)", re.MULTILINE | re.IGNORECASE)


class FakeSmsProvider:
    """An SMS API on 127.0.0.1: 201 with a sid, or 429 (``Retry-After: 1``) past ``limit``
    messages in a second, when it has one."""

    def __init__(self, limit: int | None = None):
        self.limit = limit
        self.accepted = 0
        self.refused = 0
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, body = provider._answer()
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/2010-04-01/Accounts/ACbench/Messages.json"

    def _answer(self) -> tuple[int, bytes]:
        with self._lock:
            now = time.monotonic()
            while self._recent and self._recent[0] <= now - 1:
                self._recent.popleft()
            if self.limit is not None and len(self._recent) >= self.limit:
                self.refused += 1
                return 429, b'{"code": 20429, "message": "Too Many Requests"}'
            self._recent.append(now)
            self.accepted += 1
            return 201, b'{"sid": "SM%d", "status": "queued"}' % self.accepted

    def start(self) -> FakeSmsProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def plan_burst(n: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Organisations, contacts and nudges of the burst (due in a day until released)."""

    tenants = [
        (uuid.uuid4(), "Harbour Recovery", "Australia/Sydney"),
        (uuid.uuid4(), "Whānau Recovery", "Pacific/Auckland"),
    ]
    organisations = [{"tenant_id": t, "name": name} for t, name, _ in tenants]
    later = datetime.now(UTC) + timedelta(days=1)
    contacts, nudges = [], []
    client = 0
    while len(nudges) < n:
        tenant_id, _name, timezone = tenants[client % 2]
        client_id = uuid.uuid4()
        by_sms = client % SMS_EVERY == SMS_EVERY - 1
        contacts.append(
            {
                "tenant_id": tenant_id,
                "client_id": client_id,
                "given_name": "Bench",
                "email": f"c{client}@example.net",
                "phone": PHONE,
                "timezone": timezone,
                "consent_email": not by_sms,
                "consent_sms": True,
                "quiet_start": "00:00",  # no quiet hours: the run must not depend on the hour
                "quiet_end": "00:00",
                "daily_cap": 3,
            }
        )
        for k in range(min(NUDGES_PER_CLIENT[client % len(NUDGES_PER_CLIENT)], n - len(nudges))):
            kind, variables = KINDS[k % len(KINDS)]
            nudges.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "client_id": client_id,
                    "kind": kind,
                    "occurrence_key": f"burst:{k}",
                    "channel": "email",
                    "variables": variables,
                    # The overnight ones were deferred by quiet hours; the rest are the
                    # morning's own.
                    "state": "deferred" if len(nudges) % 2 else "scheduled",
                    "reason": "quiet_hours" if len(nudges) % 2 else None,
                    "event_at": later + timedelta(hours=2) if "reminder" in kind else None,
                    # An action reminder names its action (its email has the "I did it" link).
                    "subject_id": uuid.uuid4() if kind == "action_reminder" else None,
                    "subject_occurrence": "2026-12-01" if kind == "action_reminder" else None,
                    "due_at": later,
                }
            )
        client += 1
    return organisations, contacts, nudges


def expected_sends(contacts: list[dict], nudges: list[dict]) -> tuple[int, int]:
    """How many nudges go (the rest are held by the cap), and how many by SMS."""
    caps = {(c["tenant_id"], c["client_id"]): c for c in contacts}
    per_client = Counter((x["tenant_id"], x["client_id"]) for x in nudges)
    sends = sms = 0
    for key, count in per_client.items():
        going = min(count, caps[key]["daily_cap"])
        sends += going
        if not caps[key]["consent_email"]:
            sms += going
    return sends, sms


def _store(runtime, organisations, contacts, nudges) -> None:
    from services.notifications.models import Contact, Nudge, Organisation

    with runtime.session_factory() as session:
        session.execute(insert(Organisation), organisations)
        for start in range(0, len(contacts), 5000):
            session.execute(insert(Contact), contacts[start : start + 5000])
        for start in range(0, len(nudges), 5000):
            session.execute(insert(Nudge), nudges[start : start + 5000])
        session.commit()


def _release(runtime):
    """Every nudge of the burst due now, in one commit; returns that moment."""
    from services.notifications.models import Nudge

    with runtime.session_factory() as session:
        due = runtime.now()
        session.execute(update(Nudge).values(due_at=due))
        session.commit()
    return due


def run_burst(tmp: Path, n: int, dispatchers: int, *, limited: bool = False) -> dict:
    """One burst through ``dispatchers`` running processes; its figures and checks."""
    from services.notifications.models import Contact, Nudge

    organisations, contacts, nudges = plan_burst(n)
    sends, sms_sends = expected_sends(contacts, nudges)
    sink = SmtpSink().start()
    provider = FakeSmsProvider(PROVIDER_SMS_LIMIT if limited else None).start()
    extra = {"LOG_LEVEL": "INFO", "SMS_API_URL": provider.url, "SMS_FROM": SMS_FROM}
    extra |= {"SMS_ACCOUNT_SID": "ACbench", "SMS_AUTH_TOKEN": "bench-sms-token"}
    if limited:
        extra |= {
            "EMAIL_RATE_PER_SECOND": str(LIMITED_EMAIL_RATE),
            "SMS_RATE_PER_SECOND": str(LIMITED_SMS_RATE),
        }
    with real_infrastructure(tmp, **extra) as (settings, env):
        runtime = migrated_runtime("notifications", settings)
        _store(runtime, organisations, contacts, nudges)
        processes = _system(tmp, env, sink)
        names = [f"dispatcher-{i}" for i in range(dispatchers)]
        for name in names:
            processes.spawn(name, [sys.executable, "-m", "coaching", "dispatcher"])
        try:
            for name in names:
                wait_for(
                    lambda name=name: _logged(processes, name, "dispatcher started"),
                    what=f"{name} to start",
                )
            with BusyCores() as busy:
                due = _release(runtime)
                with contextlib.suppress(AssertionError):  # the missing ones count as lost
                    wait_for(
                        lambda: sink.count() + provider.accepted >= sends,
                        timeout=900,
                        interval=0.05,
                        what="every nudge of the burst sent",
                    )
                time.sleep(0.5)  # anything sent twice would arrive now
                wait_for(lambda: _unsettled(runtime) == 0, timeout=60, what="outcomes recorded")
        finally:
            processes.stop_all()
        with runtime.session_factory() as session:
            sent_at = list(session.scalars(select(Nudge.sent_at).where(Nudge.state == "sent")))
            states = Counter(
                f"{state}:{reason}" if state != "sent" else state
                for state, reason in session.execute(select(Nudge.state, Nudge.reason))
            )
            over_cap = session.scalar(
                select(func.count()).select_from(
                    select(Nudge.tenant_id, Nudge.client_id)
                    .join(
                        Contact,
                        (Contact.tenant_id == Nudge.tenant_id)
                        & (Contact.client_id == Nudge.client_id),
                    )
                    .where(Nudge.state == "sent")
                    .group_by(Nudge.tenant_id, Nudge.client_id, Contact.daily_cap)
                    .having(func.count() > Contact.daily_cap)
                    .subquery()
                )
            )
        runtime.engine.dispose()
    ids = Counter(m.group(1) for raw in sink.handler.raw if (m := _MESSAGE_ID.search(raw)))
    sink.stop()
    provider.stop()
    lateness = sorted((at - due).total_seconds() for at in sent_at)
    held = states.get("deferred:daily_cap", 0)
    return {
        "n": n,
        "dispatchers": dispatchers,
        "expected_sends": sends,
        "expected_sms": sms_sends,
        "sent": len(sent_at),
        "held_by_cap": held,
        "states": dict(states),
        "lost": n - len(sent_at) - held,
        "doubled": sum(c - 1 for c in ids.values())
        + max(0, provider.accepted - sms_sends)
        + max(0, sink.count() - (sends - sms_sends)),
        "clients_over_cap": over_cap,
        "provider_429s": provider.refused,
        "seconds_to_last_send": lateness[-1] if lateness else float("nan"),
        "lateness_p50": percentile(lateness, 50),
        "lateness_p99": percentile(lateness, 99),
        "lateness_max": lateness[-1] if lateness else float("nan"),
        "busy_cores": round(busy.cores, 2),
        "limits": {
            "email": LIMITED_EMAIL_RATE,
            "sms": LIMITED_SMS_RATE,
            "provider_sms": PROVIDER_SMS_LIMIT,
        }
        if limited
        else None,
    }


def _unsettled(runtime) -> int:
    from services.notifications.models import Nudge

    with runtime.session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(Nudge).where(Nudge.state.in_(("sending", "scheduled")))
        )


def raw_burst(tmp: Path, n: int) -> float:
    """Seconds raw ``smtplib`` (one connection, ``send_message``) takes to send the burst's
    messages, rendered and built beforehand, and a bare HTTP POST each for the SMS."""
    from services.notifications.channels.base import OutgoingMessage
    from services.notifications.channels.email import build_email
    from services.notifications.client_web.links import email_link_variables
    from services.notifications.client_web.unsubscribe_tokens import make_token, unsubscribe_url
    from services.notifications.wording.templates import render

    organisations, contacts, nudges = plan_burst(n)
    by_client = {(c["tenant_id"], c["client_id"]): c for c in contacts}
    names = {o["tenant_id"]: o["name"] for o in organisations}
    sent_per_client: Counter = Counter()
    emails, texts = [], []
    sink = SmtpSink().start()
    provider = FakeSmsProvider().start()
    with real_infrastructure(tmp) as (settings, _env):
        for nudge in nudges:
            key = (nudge["tenant_id"], nudge["client_id"])
            contact = by_client[key]
            if sent_per_client[key] >= contact["daily_cap"]:
                continue
            sent_per_client[key] += 1
            variables = dict(nudge["variables"]) | {
                "name": "Bench",
                "organisation_name": names[nudge["tenant_id"]],
                "help_contact": settings.email_from,
            }
            if contact["consent_email"]:
                url = unsubscribe_url(
                    settings.public_base_url, make_token(settings.jwt_secret, *key)
                )
                links = email_link_variables(
                    settings.jwt_secret,
                    settings.public_base_url,
                    datetime.now(UTC),
                    tenant_id=nudge["tenant_id"],
                    client_id=nudge["client_id"],
                    nudge_id=nudge["id"],
                    kind=nudge["kind"],
                    subject_id=nudge["subject_id"],
                    subject_occurrence=nudge["subject_occurrence"],
                    email=contact["email"],
                )
                rendered = render(
                    nudge["kind"], "email", variables | {"unsubscribe_url": url} | links
                )
                outgoing = OutgoingMessage(
                    f"<{nudge['id']}@coaching.nudges>",
                    contact["email"],
                    rendered.subject,
                    rendered.text,
                    rendered.html,
                    {
                        "List-Unsubscribe": f"<{url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                    sender_name=names[nudge["tenant_id"]],
                )
                emails.append(build_email(outgoing, settings.email_from))
            else:
                text = render(nudge["kind"], "sms", variables).text
                texts.append(
                    urllib.parse.urlencode(
                        {"To": contact["phone"], "From": SMS_FROM, "Body": text}
                    ).encode()
                )
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        for message in emails:
            client.send_message(message)
    for form in texts:
        request = urllib.request.Request(provider.url, data=form, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    elapsed = time.perf_counter() - started
    sink.stop()
    provider.stop()
    return elapsed, len(emails) + len(texts)


def bench_burst(tmp: Path, n: int) -> list[Row]:
    elapsed, raw_sends = raw_burst(tmp / "raw", n)
    raw_rate = raw_sends / elapsed
    runs = [
        ("1 dispatcher", run_burst(tmp / "one", n, 1)),
        ("2 dispatchers", run_burst(tmp / "two", n, 2)),
        (
            f"2 dispatchers, limits email {LIMITED_EMAIL_RATE:.0f}/s, SMS {LIMITED_SMS_RATE:.0f}/s",
            run_burst(tmp / "limited", n, 2, limited=True),
        ),
    ]
    lateness_target = 2 * n / raw_rate
    rows = []
    for label, run in runs:
        rate = run["sent"] / run["seconds_to_last_send"]
        limited = run["limits"] is not None
        checks = (
            f"lost {run['lost']}, doubled {run['doubled']}, over cap {run['clients_over_cap']}, "
            f"429s {run['provider_429s']}"
        )
        rows += [
            Row(
                "burst",
                f"{label}: sent/s",
                rate,
                None if limited else raw_rate,
                "" if limited else ">= 0.5x per dispatcher",
                "nudges/s",
                run | {"raw_seconds": elapsed, "raw_sends": raw_sends},
            ),
            Row("burst", f"{label}: due -> last send", run["seconds_to_last_send"], None, "", "s"),
            *(
                Row(
                    "burst",
                    f"{label}: lateness {p}",
                    run[f"lateness_{p}"],
                    None,
                    f"<= {lateness_target:.1f} s" if p == "p99" and not limited else "",
                    "s",
                )
                for p in ("p50", "p99", "max")
            ),
            Row(
                "burst",
                f"{label}: {checks}",
                float(run["lost"] + run["doubled"] + run["clients_over_cap"]),
                None,
                "0",
                "count",
            ),
        ]
    return rows
