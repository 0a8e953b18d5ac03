"""The dispatcher: claims due nudges, applies the rules, sends, records the outcome.

One short transaction claims a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several dispatchers never take the same nudge; SQLite serialises writers, so run one
dispatcher there), marks it ``sending`` under a lease, applies the rules with the facts
of that moment (see ``rules.py``; read for the whole batch in one query per table) and
records the nudges held back. Rendering the messages (an organisation's template may
take up to the render time limit) and sending them happen after that transaction, outside
any, and each outcome is committed with its event and the message's text as soon as it
is known. A dispatcher that dies
mid-send leaves the lease to expire, and the nudge is taken again: the deterministic
``Message-ID`` lets mail systems drop the copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, or_, select, text, update
from sqlalchemy.orm import Session

from services.notifications import client_links, plan_projection, suppressions
from services.notifications.channels import (
    Channel,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notifications.claiming import (
    SWITCH_INTERVAL_SECONDS,
    Batch,
    claim_ahead,
    claim_due,
)
from services.notifications.kinds import KINDS, answers_client
from services.notifications.lease import LEASE, LeaseKeeper
from services.notifications.models import (
    Contact,
    Nudge,
    Organisation,
    StaffMember,
    Suppression,
    TemplateOverride,
)
from services.notifications.nudges import DIGEST, RECURRENCES, schedule_following
from services.notifications.quiet_hours import local_day_bounds
from services.notifications.rate_limits import SendRates
from services.notifications.rules import Decision, decide_for_client, decide_for_coach
from services.notifications.templates import TemplateRenderFailed, render
from services.notifications.unsubscribe import make_token, unsubscribe_url
from services.notifications.weekly_digest import WeekInFacts, digest_variables
from shared import metrics
from shared.db import utcnow
from shared.db.outage import LoopBackoff
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

RECORD_BACKLOG = 4
REASON_LIMIT = 1000
NUDGES = Nudge.__table__
# One statement for every kind of outcome (sent, failed, scheduled again), built once;
# on the table rather than the mapped class, so no ORM bookkeeping per row.
RECORD_OUTCOME = (
    update(NUDGES)
    .where(NUDGES.c.id == bindparam("nudge_id"))
    .values(
        state=bindparam("new_state"),
        reason=bindparam("new_reason"),
        claimed_until=None,
        sent_at=bindparam("new_sent_at"),
        provider_message_id=bindparam("new_provider_id"),
        # Not once the client is erased (which clears the variables) while it was sent.
        body=case((NUDGES.c.variables.is_(None), None), else_=bindparam("new_body")),
        due_at=func.coalesce(bindparam("new_due_at", type_=NUDGES.c.due_at.type), NUDGES.c.due_at),
        updated_at=bindparam("now"),
    )
)
# On PostgreSQL, a group of outcomes and their events are recorded by this one statement,
# in its own implicit transaction: one round trip instead of four (BEGIN, UPDATE, INSERT,
# COMMIT) and no ORM session, which halves the recorder's CPU per outcome. All or nothing,
# like the general path in a unit of work (used elsewhere, and for hard bounces).
RECORD_OUTCOMES_ON_POSTGRESQL = text(
    """
    WITH outcome AS (
        SELECT * FROM unnest(
            CAST(:nudge_ids AS uuid[]), CAST(:states AS varchar[]), CAST(:reasons AS text[]),
            CAST(:sent_ats AS timestamptz[]), CAST(:provider_ids AS varchar[]),
            CAST(:due_ats AS timestamptz[]), CAST(:texts AS text[])
        ) AS o(id, state, reason, sent_at, provider_message_id, due_at, body)
    ), recorded AS (
        UPDATE nudges SET
            state = outcome.state, reason = outcome.reason, claimed_until = NULL,
            sent_at = outcome.sent_at, provider_message_id = outcome.provider_message_id,
            body = CASE WHEN nudges.variables IS NULL THEN NULL ELSE outcome.body END,
            due_at = coalesce(outcome.due_at, nudges.due_at), updated_at = :now
        FROM outcome WHERE nudges.id = outcome.id
    )
    INSERT INTO outbox (message_id, tenant_id, exchange, routing_key, body, headers,
                        aggregate_id, created_at, available_at, publish_attempts)
    SELECT e.message_id, e.tenant_id, e.exchange, e.routing_key, e.body, '{}',
           e.aggregate_id, e.created_at, e.created_at, 0
    FROM unnest(
        CAST(:message_ids AS uuid[]), CAST(:tenant_ids AS uuid[]),
        CAST(:exchanges AS varchar[]), CAST(:routing_keys AS varchar[]),
        CAST(:bodies AS bytea[]), CAST(:aggregate_ids AS varchar[]),
        CAST(:created_ats AS timestamptz[])
    ) AS e(message_id, tenant_id, exchange, routing_key, body, aggregate_id, created_at)
    """
)
# The statement's array parameters for the events, and the outbox column each holds.
EVENT_PARAMETERS = {
    "message_ids": "message_id",
    "tenant_ids": "tenant_id",
    "exchanges": "exchange",
    "routing_keys": "routing_key",
    "bodies": "body",
    "aggregate_ids": "aggregate_id",
    "created_ats": "created_at",
}
MAX_SEND_ATTEMPTS = 6
MAX_BACKOFF = timedelta(minutes=30)
DEFAULT_ORGANISATION_NAME = "your coaching service"
# Replies and answers to the client's own messages are not nudges: the cap ignores them.
ANSWER_KINDS = tuple(kind for kind in KINDS if answers_client(kind))
HELD_BACK_STATES = {
    "suppress": "suppressed",
    "expire": "expired",
    "cancel": "cancelled",
    "skip": "skipped",
}


@dataclass(frozen=True)
class Draft:
    """A nudge the rules let through, with all its message needs as plain values, so that
    it is rendered after the claim's transaction has ended."""

    nudge_id: uuid.UUID
    tenant_id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    channel: str
    attempts: int
    to: str
    variables: dict
    headers: dict[str, str]
    override: dict[str, str | None] | None  # the organisation's own template, if any
    sender_name: str | None
    due_at: datetime | None = None  # when it was due, for the lateness metric


@dataclass(frozen=True)
class Delivery:
    """A nudge ready to go: where, and the message itself (None if it could not be
    written). ``note`` says why the organisation's own template was not used."""

    nudge_id: uuid.UUID
    tenant_id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    channel: str
    attempts: int
    message: OutgoingMessage | None
    note: str | None = None
    due_at: datetime | None = None

    @classmethod
    def of(cls, draft: Draft, message: OutgoingMessage | None, note: str | None = None):
        return cls(
            draft.nudge_id,
            draft.tenant_id,
            draft.client_id,
            draft.kind,
            draft.channel,
            draft.attempts,
            message,
            note,
            draft.due_at,
        )


@dataclass
class Facts:
    """Everything the rules and templates need about a claimed batch, read in one query
    per table rather than several per nudge."""

    now: datetime
    contacts: dict[tuple, Contact]
    organisations: dict[uuid.UUID, Organisation]
    staff: dict[tuple, StaffMember]
    suppressions: dict[tuple, str]  # (tenant, channel, address hash) -> reason
    sent: dict[tuple, list[datetime]]  # (tenant, client) -> recent client nudges sent
    overrides: dict[tuple, TemplateOverride]
    # Sends already decided in this batch, per client, for the daily cap.
    planned: Counter = field(default_factory=Counter)
    # What each weekly digest of the batch can say, by nudge id.
    digests: dict[uuid.UUID, WeekInFacts] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, nudges: list[Nudge], now: datetime) -> Facts:
        tenants = {n.tenant_id for n in nudges}
        clients = {n.client_id for n in nudges}
        contacts = {
            (c.tenant_id, c.client_id): c
            for c in session.scalars(
                select(Contact).where(
                    Contact.tenant_id.in_(tenants), Contact.client_id.in_(clients)
                )
            )
        }
        staff_ids = {_staff_id_of(n, contacts) for n in nudges if n.audience == "coach"} - {None}
        staff = (
            {
                (m.tenant_id, m.staff_id): m
                for m in session.scalars(
                    select(StaffMember).where(
                        StaffMember.tenant_id.in_(tenants), StaffMember.staff_id.in_(staff_ids)
                    )
                )
            }
            if staff_ids
            else {}
        )
        hashes = {
            suppressions.address_hash(c.tenant_id, channel, address)
            for c in contacts.values()
            for channel, address in (("email", c.email), ("sms", c.phone))
            if address
        }
        suppressed = (
            {
                (s.tenant_id, s.channel, s.address_hash): s.reason
                for s in session.scalars(
                    select(Suppression).where(
                        Suppression.tenant_id.in_(tenants), Suppression.address_hash.in_(hashes)
                    )
                )
            }
            if hashes
            else {}
        )
        sent: dict[tuple, list[datetime]] = {}
        # A local day began less than 26 hours ago in any timezone, DST included. Nudges
        # another dispatcher is sending right now count as sent now: the cap holds with
        # several dispatchers sharing one client's due nudges (the claim locks each
        # client of the batch, so their verdicts are committed before these are read).
        for tenant_id, client_id, sent_at in session.execute(
            select(Nudge.tenant_id, Nudge.client_id, Nudge.sent_at).where(
                Nudge.tenant_id.in_(tenants),
                Nudge.client_id.in_(clients),
                Nudge.audience == "client",
                Nudge.kind.not_in(ANSWER_KINDS),
                or_(
                    (Nudge.state == "sent") & (Nudge.sent_at >= now - timedelta(hours=26)),
                    (Nudge.state == "sending")
                    & (Nudge.claimed_until >= now)
                    & Nudge.id.not_in([n.id for n in nudges]),
                ),
            )
        ):
            sent.setdefault((tenant_id, client_id), []).append(sent_at or now)
        overrides = {
            (o.tenant_id, o.kind, o.channel): o
            for o in session.scalars(
                select(TemplateOverride).where(TemplateOverride.tenant_id.in_(tenants))
            )
        }
        organisations = {
            o.tenant_id: o
            for o in session.scalars(
                select(Organisation).where(Organisation.tenant_id.in_(tenants))
            )
        }
        digests = plan_projection.weeks_of(
            session,
            [n for n in nudges if n.kind == DIGEST],
            {key: contact.timezone for key, contact in contacts.items()},
            now,
        )
        return cls(
            now, contacts, organisations, staff, suppressed, sent, overrides, digests=digests
        )

    def suppression_reason(self, tenant_id, channel: str, address: str) -> str | None:
        key = (tenant_id, channel, suppressions.address_hash(tenant_id, channel, address))
        return self.suppressions.get(key)

    def sent_today(self, contact: Contact) -> int:
        start, end = local_day_bounds(self.now, contact.timezone)
        key = (contact.tenant_id, contact.client_id)
        earlier = sum(1 for at in self.sent.get(key, ()) if start <= at < end)
        return earlier + self.planned[key]


@dataclass(frozen=True)
class Outcome:
    """What became of a send: ``sent``, ``failed``, or ``scheduled`` again to retry."""

    delivery: Delivery
    state: str
    reason: str | None = None
    provider_message_id: str | None = None
    bounced_address: str | None = None
    at: datetime | None = None  # when it was sent
    due_at: datetime | None = None

    def __post_init__(self):
        if self.reason:  # kept and published at most this long
            object.__setattr__(self, "reason", self.reason[:REASON_LIMIT])

    @property
    def text(self) -> str | None:
        """The message's text, kept with the nudge."""
        message = self.delivery.message
        return message.text if message is not None else None

    def event(self) -> tuple[str, dict] | None:
        """The event this outcome announces, if any (see ``outcome_event``)."""
        delivery = self.delivery
        return outcome_event(
            state=self.state,
            nudge_id=delivery.nudge_id,
            client_id=delivery.client_id,
            kind=delivery.kind,
            channel=delivery.channel,
            reason=self.reason,
        )


_FLUSH = object()  # "record what you have": the dispatcher is waiting


class OutcomeRecorder:
    """Records outcomes on its own thread while the next messages are on the wire.

    Sending (waiting on the mail server) and recording (waiting on the database's
    commit) then overlap instead of adding up, and outcomes that arrive while a commit is
    under way are recorded together in the next one. At most ``backlog`` outcomes may be
    sent-but-unrecorded at any moment (the sender waits for room), so a dispatcher killed
    mid-run leaves at most ``backlog`` of them plus the message on the wire on each
    session, to be sent again when their lease runs out, with the same ``Message-ID``. A recording that
    fails (the database restarting) is tried again with backoff; after that the lease
    expiry takes over.
    """

    def __init__(
        self,
        record: Callable[[list[Outcome]], None],
        *,
        backlog: int = RECORD_BACKLOG,
        retry_delays: tuple[float, ...] = (0.1, 0.5, 1, 2, 5, 10),
        gather_seconds: float = 0.005,
    ):
        self._record = record
        self._retry_delays = retry_delays
        self._room = threading.BoundedSemaphore(backlog)
        self._group = max(backlog // 2, 1)
        self._gather_seconds = gather_seconds
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def put(self, outcome: Outcome) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="outcome-recorder", daemon=True)
            self._thread.start()
        self._room.acquire()
        self._queue.put(outcome)

    def wait(self) -> None:
        """Block until every outcome handed over is recorded (or given up on)."""
        if self._thread is not None:
            self._queue.put(_FLUSH)  # record what is there now, without gathering more
        self._queue.join()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            taken = [self._queue.get()]  # wait for the first, then gather a group
            deadline = time.monotonic() + self._gather_seconds
            with contextlib.suppress(queue.Empty):
                while (
                    len(taken) < self._group and taken[-1] is not None and taken[-1] is not _FLUSH
                ):
                    taken.append(self._queue.get(timeout=max(deadline - time.monotonic(), 0)))
            with contextlib.suppress(queue.Empty):  # and whatever else is already there
                while True:
                    taken.append(self._queue.get_nowait())
            stopping = None in taken
            batch = [item for item in taken if isinstance(item, Outcome)]
            try:
                if batch:
                    self._record_with_retries(batch)
            finally:
                for _ in batch:
                    self._room.release()
                for _ in taken:
                    self._queue.task_done()

    def _record_with_retries(self, batch: list[Outcome]) -> None:
        for delay in (*self._retry_delays, None):
            try:
                self._record(batch)
                return
            except Exception:
                if delay is None:
                    log.exception(
                        "could not record delivery outcomes; their leases will expire",
                        extra={"nudge_ids": [str(o.delivery.nudge_id) for o in batch]},
                    )
                    return
                log.warning("recording delivery outcomes failed; retrying", exc_info=True)
                time.sleep(delay)


def _with_digest_content(nudge: Nudge, decision: Decision, facts: Facts, timezone: str) -> Decision:
    """A digest says what the client's week holds, composed now; an empty week is skipped."""
    said = digest_variables(facts.digests[nudge.id], timezone)
    if said is None:
        return Decision("skip", channel=decision.channel, reason="nothing_to_say")
    nudge.variables = said
    return decision


def _recurring_done_with(nudges: list[Nudge], drafts: list[Draft]) -> list[Nudge]:
    """Recurring nudges (digests, mood prompts) that will not be tried again: going out
    now, or held back for good."""
    going = {draft.nudge_id for draft in drafts}
    return [
        n
        for n in nudges
        if n.kind in RECURRENCES and (n.id in going or n.state in HELD_BACK_STATES.values())
    ]


# Each client's advisory lock, taken in order (so two claims never wait on each other in
# a circle) and held until the claim commits.
LOCK_CLIENTS = text(
    "SELECT pg_advisory_xact_lock(k)"
    " FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS ordered"
)


def _lock_clients(session: Session, nudges: list[Nudge]) -> None:
    """PostgreSQL: one claim at a time decides for a client, so that two dispatchers that
    claimed two of one client's nudges at once cannot both see the daily cap unreached.
    The second waits for the first's verdicts (committed as ``sending``) and counts them."""
    keys = sorted({_client_key(n.tenant_id, n.client_id) for n in nudges})
    session.execute(LOCK_CLIENTS, {"keys": keys})


def _client_key(tenant_id: uuid.UUID, client_id: uuid.UUID) -> int:
    digest = hashlib.blake2b(tenant_id.bytes + client_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _staff_id_of(nudge: Nudge, contacts: dict) -> uuid.UUID | None:
    contact = contacts.get((nudge.tenant_id, nudge.client_id))
    return nudge.staff_id or (contact.coach_id if contact else None)


class Dispatcher:
    def __init__(
        self,
        runtime: ServiceRuntime,
        channels: dict[str, Channel],
        *,
        clock: Callable[[], datetime] | None = None,
        batch_size: int = 50,
        max_attempts: int = MAX_SEND_ATTEMPTS,
        more_channels: Iterable[dict[str, Channel]] = (),
        send_rates: SendRates | None = None,
    ):
        """``more_channels``: further sets of channels (each its own SMTP session and SMS
        client) to send a batch on in parallel; a mail server's replies are mostly
        waiting, so a few sessions move far more messages than one. ``send_rates``: the
        providers' rates (by default as configured, shared by every dispatcher)."""
        self.runtime = runtime
        self.channels = channels
        self.lanes = [channels, *more_channels]
        self._pool = (
            ThreadPoolExecutor(len(self.lanes) - 1, thread_name_prefix="sender")
            if len(self.lanes) > 1
            else None
        )
        self._clock = clock
        self.send_rates = send_rates or SendRates.from_settings(runtime.settings, runtime.engine)
        self.batch_size = self.send_rates.batch_ceiling(batch_size)
        self.max_attempts = max_attempts
        self.retry_base = timedelta(seconds=runtime.settings.retry_base_seconds)
        engine = runtime.engine
        self._one_statement = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else None
        )
        self.recorder = OutcomeRecorder(self.record)

    def clock(self) -> datetime:
        return (self._clock or self.runtime.clock)()

    # -- claiming ---------------------------------------------------------------------
    def _claim(self, session: Session, now: datetime) -> list[Nudge]:
        """Due nudges, and ones whose lease ran out, marked ``sending`` under a lease."""
        nudges = claim_due(session, now, self.batch_size)
        for nudge in nudges:
            nudge.state = "sending"
            nudge.claimed_until = now + LEASE
        return nudges

    def claim(self) -> list[uuid.UUID]:
        """Claim a batch without preparing it (what a dispatcher that dies next leaves)."""
        with self.runtime.session_factory() as session:
            nudges = self._claim(session, self.clock())
            session.commit()
            return [nudge.id for nudge in nudges]

    def run_once(self) -> int:
        """Claim a batch, apply the rules and record the ones held back (one short
        transaction), then render and send the rest outside any transaction, recording
        each outcome as it comes. Returns how many were claimed."""
        batch = self.take_batch()
        self.deliver(batch)
        return batch.claimed

    def take_batch(self) -> Batch:
        """Claim a batch and apply the rules (one short transaction); the lease of the
        nudges going out is renewed from then until :meth:`deliver` has sent them."""
        now = self.clock()
        with self.runtime.unit_of_work() as uow:
            nudges = self._claim(uow.session, now)
            if nudges and self._one_statement is not None:
                _lock_clients(uow.session, nudges)
            drafts = self._prepare_all(uow.session, nudges, now) if nudges else []
            schedule_following(uow, _recurring_done_with(nudges, drafts), now)
            uow.commit()  # nothing leaves before the claim and the rules' verdicts are kept
        batch = Batch(len(nudges), drafts)
        ids = [draft.nudge_id for draft in drafts]
        batch.lease.enter_context(LeaseKeeper(self.runtime.session_factory, ids, self.clock))
        return batch

    def deliver(self, batch: Batch) -> None:
        """Render and send a taken batch, recording each outcome as it comes; return once
        every outcome is recorded."""
        with batch.lease:
            self._send_batch(batch.drafts)
            self.recorder.wait()

    def _send_batch(self, drafts: list[Draft]) -> None:
        if self._pool is None:
            self._send_all(drafts, self.channels)
            return
        lanes = len(self.lanes)
        others = [
            self._pool.submit(self._send_all, drafts[i::lanes], self.lanes[i])
            for i in range(1, lanes)
        ]
        self._send_all(drafts[0::lanes], self.lanes[0])
        for sent in others:
            sent.result()

    # -- preparing a claimed batch --------------------------------------------------------
    def _prepare_all(self, session: Session, nudges: list[Nudge], now: datetime) -> list[Draft]:
        with session.no_autoflush:  # the claim and the verdicts are written in one flush
            facts = Facts.load(session, nudges, now)
        drafts = []
        for nudge in nudges:
            try:
                draft = self._prepare(nudge, facts)
            except Exception:
                # Left claimed: its lease expires and it is tried again later.
                log.exception("could not prepare a nudge", extra={"nudge_id": str(nudge.id)})
                continue
            if draft is not None:
                drafts.append(draft)
        return drafts

    def _send_all(self, drafts: list[Draft], channels: dict[str, Channel]) -> None:
        for draft in drafts:
            try:
                delivery = self._compose(draft)
            except Exception:
                # Left claimed: its lease expires and it is tried again later.
                log.exception("could not write a nudge", extra={"nudge_id": str(draft.nudge_id)})
                continue
            if delivery.message is None:
                self.recorder.put(Outcome(delivery, "failed", reason=delivery.note))
            else:
                self._send(delivery, channels)

    def _send(self, delivery: Delivery, channels: dict[str, Channel]) -> None:
        try:
            self.send_rates.wait_for_slot(delivery.channel)
            provider_id = channels[delivery.channel].send(delivery.message)
        except PermanentDeliveryError as exc:
            metrics.PROVIDER_ERRORS.labels(delivery.channel, "permanent").inc()
            bounced = delivery.message.to if exc.bounce else None
            outcome = Outcome(delivery, "failed", reason=str(exc), bounced_address=bounced)
        except Exception as exc:  # TransientDeliveryError, or a fault in a channel
            metrics.PROVIDER_ERRORS.labels(delivery.channel, "transient").inc()
            if not isinstance(exc, TransientDeliveryError):
                log.exception(
                    "sending failed unexpectedly", extra={"nudge_id": str(delivery.nudge_id)}
                )
                exc = TransientDeliveryError(f"unexpected {type(exc).__name__}")
            if exc.retry_after:
                self._hold_off(delivery.channel, exc.retry_after)
            # Being asked to slow down says nothing against the message: never given up.
            if delivery.attempts >= self.max_attempts and not exc.throttled:
                outcome = Outcome(delivery, "failed", reason=f"gave up: {exc}")
            else:
                delay = min(self.retry_base * 2 ** (delivery.attempts - 1), MAX_BACKOFF)
                if exc.retry_after:
                    delay = max(delay, timedelta(seconds=exc.retry_after))
                outcome = Outcome(
                    delivery, "scheduled", reason=f"retrying: {exc}", due_at=self.clock() + delay
                )
        else:
            outcome = Outcome(
                delivery,
                "sent",
                reason=delivery.note,
                provider_message_id=provider_id,
                at=self.clock(),
            )
        self.recorder.put(outcome)

    def _hold_off(self, channel: str, seconds: float) -> None:
        """Every dispatcher's next send on the channel waits as the provider asked."""
        try:
            self.send_rates.hold_off(channel, seconds)
        except Exception:  # the retry below is scheduled either way
            log.warning("could not hold the send rate off", exc_info=True)

    def _prepare(self, nudge: Nudge, facts: Facts) -> Draft | None:
        """Apply the rules to one nudge; mark it if held back, or return what to send.

        Pure computation on ``facts``: nothing here touches the database, so a nudge that
        fails to prepare leaves the rest of the batch unharmed.
        """
        contact = facts.contacts.get((nudge.tenant_id, nudge.client_id))
        organisation = facts.organisations.get(nudge.tenant_id)
        staff = None
        client_key = (nudge.tenant_id, nudge.client_id)
        if nudge.audience == "coach":
            staff_id = _staff_id_of(nudge, facts.contacts)
            staff = facts.staff.get((nudge.tenant_id, staff_id)) if staff_id else None
            decision = decide_for_coach(staff, nudge.channel)
        else:
            decision = decide_for_client(
                nudge,
                contact,
                organisation,
                now=facts.now,
                suppressed=lambda channel, to: facts.suppression_reason(
                    nudge.tenant_id, channel, to
                ),
                sent_today=lambda: facts.sent_today(contact),
            )
            if nudge.kind == DIGEST and decision.action == "send":
                decision = _with_digest_content(nudge, decision, facts, contact.timezone)
        if decision.action != "send":
            self._hold_back(nudge, decision)
            log.info(
                "nudge held back",
                extra={"nudge_id": str(nudge.id), "state": nudge.state, "reason": nudge.reason},
            )
            return None
        override = facts.overrides.get((nudge.tenant_id, nudge.kind, decision.channel))
        if nudge.audience != "coach" and nudge.kind not in ANSWER_KINDS:
            facts.planned[client_key] += 1
        nudge.channel = decision.channel
        nudge.attempts += 1
        return self._draft(nudge, contact, organisation, staff, decision, override)

    @staticmethod
    def _hold_back(nudge: Nudge, decision: Decision) -> None:
        state = "deferred" if decision.action == "defer" else HELD_BACK_STATES[decision.action]
        metrics.NUDGES.labels(
            nudge.kind,
            decision.channel or nudge.channel or "none",
            state,
            metrics.reason_kind(decision.reason),
        ).inc()
        nudge.channel = decision.channel or nudge.channel
        nudge.reason = decision.reason
        nudge.claimed_until = None
        if decision.action == "defer":
            nudge.state = "deferred"
            nudge.due_at = decision.until
        else:
            nudge.state = HELD_BACK_STATES[decision.action]

    def _draft(
        self,
        nudge: Nudge,
        contact: Contact | None,
        organisation: Organisation | None,
        staff: StaffMember | None,
        decision: Decision,
        override: TemplateOverride | None,
    ) -> Draft:
        settings = self.runtime.settings
        variables = dict(nudge.variables or {})
        named = organisation.name if organisation and organisation.name else None
        variables["organisation_name"] = named or DEFAULT_ORGANISATION_NAME
        variables["help_contact"] = (
            organisation.help_contact
            if organisation and organisation.help_contact
            else settings.email_from
        )
        headers: dict[str, str] = {}
        # Someone missing leaves their variable out: a template that names them fails.
        if nudge.audience == "coach":
            if staff is not None:
                variables["coach_name"] = staff.name
        else:
            if contact is not None:
                variables["name"] = contact.display_name
            if decision.channel == "email":
                token = make_token(settings.jwt_secret, nudge.tenant_id, nudge.client_id)
                url = unsubscribe_url(settings.public_base_url, token)
                variables["unsubscribe_url"] = url
                headers["List-Unsubscribe"] = f"<{url}>"
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
                variables |= client_links.email_link_variables(
                    settings.jwt_secret,
                    settings.public_base_url,
                    self.clock(),
                    tenant_id=nudge.tenant_id,
                    client_id=nudge.client_id,
                    nudge_id=nudge.id,
                    kind=nudge.kind,
                    subject_id=nudge.subject_id,
                    subject_occurrence=nudge.subject_occurrence,
                )
        return Draft(
            nudge.id,
            nudge.tenant_id,
            nudge.client_id,
            nudge.kind,
            decision.channel,
            nudge.attempts,
            decision.to,
            variables,
            headers,
            (
                {"subject": override.subject, "text": override.text, "html": override.html}
                if override is not None
                else None
            ),
            named,
            nudge.due_at,
        )

    @staticmethod
    def _compose(draft: Draft) -> Delivery:
        """Render a draft's message, outside any transaction: an organisation's template
        that fails or overruns a limit gives way to the default wording, with a note."""
        try:
            rendered = render(draft.kind, draft.channel, draft.variables, draft.override)
        except TemplateRenderFailed as exc:
            log.error(
                "the default wording of a nudge failed to render",
                extra={"nudge_id": str(draft.nudge_id), "kind": draft.kind, "reason": exc.reason},
            )
            return Delivery.of(
                draft, None, f"message could not be written: {exc.part} {exc.reason}"
            )
        if rendered.fallback_reason:
            log.warning(
                "an organisation's template failed; the default wording was used",
                extra={
                    "nudge_id": str(draft.nudge_id),
                    "kind": draft.kind,
                    "channel": draft.channel,
                    "reason": rendered.fallback_reason,
                },
            )
        message = OutgoingMessage(
            message_id=f"<{draft.nudge_id}@coaching.nudges>",
            to=draft.to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            headers=draft.headers,
            sender_name=draft.sender_name,
            client_id=str(draft.client_id),
        )
        return Delivery.of(draft, message, rendered.fallback_reason)

    # -- outcomes -----------------------------------------------------------------------
    def record(self, outcomes: list[Outcome]) -> None:
        """Record outcomes with their events (``notification.sent`` or ``.failed``) in one
        transaction: on PostgreSQL one statement, elsewhere (and when an address hard
        bounced, which suppresses it too) a unit of work."""
        if self._one_statement is not None and not any(o.bounced_address for o in outcomes):
            self._record_in_one_statement(outcomes)
        else:
            self._record_in_a_unit_of_work(outcomes)
        for outcome in outcomes:
            delivery = outcome.delivery
            metrics.NUDGES.labels(
                delivery.kind, delivery.channel, outcome.state, metrics.reason_kind(outcome.reason)
            ).inc()
            if outcome.state == "sent" and outcome.at and delivery.due_at:
                lateness = (outcome.at - delivery.due_at).total_seconds()
                metrics.NUDGE_LATENESS.labels(delivery.channel).observe(max(lateness, 0.0))
            log.info(
                "nudge " + ("delivery deferred" if outcome.state == "scheduled" else outcome.state),
                extra={
                    "nudge_id": str(outcome.delivery.nudge_id),
                    "kind": outcome.delivery.kind,
                    "attempt": outcome.delivery.attempts,
                },
            )

    def _record_in_a_unit_of_work(self, outcomes: list[Outcome]) -> None:
        now = utcnow()
        with self.runtime.unit_of_work() as uow:
            uow.session.execute(
                RECORD_OUTCOME,
                [
                    {
                        "nudge_id": o.delivery.nudge_id,
                        "new_state": o.state,
                        "new_reason": o.reason,
                        "new_sent_at": o.at,
                        "new_provider_id": o.provider_message_id,
                        "new_due_at": o.due_at,
                        "new_body": o.text,
                        "now": now,
                    }
                    for o in outcomes
                ],
            )
            for outcome in outcomes:
                delivery = outcome.delivery
                if outcome.bounced_address:
                    suppressions.suppress(
                        uow.session,
                        delivery.tenant_id,
                        delivery.channel,
                        outcome.bounced_address,
                        "bounce",
                    )
                if (event := outcome.event()) is not None:
                    event_type, data = event
                    uow.publish(
                        event_type, delivery.tenant_id, data, aggregate_id=delivery.client_id
                    )
            uow.commit()

    def _record_in_one_statement(self, outcomes: list[Outcome]) -> None:
        uow = self.runtime.unit_of_work()  # builds the outbox rows; no session opened
        events = []
        for outcome in outcomes:
            delivery = outcome.delivery
            if (event := outcome.event()) is not None:
                event_type, data = event
                events.append(
                    uow.outbox_row(
                        event_type, delivery.tenant_id, data, aggregate_id=delivery.client_id
                    )[1]
                )
        parameters = {
            "nudge_ids": [o.delivery.nudge_id for o in outcomes],
            "states": [o.state for o in outcomes],
            "reasons": [o.reason for o in outcomes],
            "sent_ats": [o.at for o in outcomes],
            "provider_ids": [o.provider_message_id for o in outcomes],
            "due_ats": [o.due_at for o in outcomes],
            "texts": [o.text for o in outcomes],
            "now": utcnow(),
        }
        for parameter, column in EVENT_PARAMETERS.items():
            parameters[parameter] = [row[column] for row in events]
        with self._one_statement.connect() as connection:
            connection.execute(RECORD_OUTCOMES_ON_POSTGRESQL, parameters)

    def close(self) -> None:
        """Record what is pending, then close every session."""
        self.recorder.stop()
        if self._pool is not None:
            self._pool.shutdown()
        for channels in self.lanes:
            _close_channels(channels)

    def run_forever(self, stop: threading.Event) -> None:
        log.info("dispatcher started")
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)  # a process of waiting threads
        claim_ahead(
            self.take_batch,
            self.deliver,
            stop,
            batch_size=self.batch_size,
            poll_seconds=self.runtime.settings.poll_interval_seconds,
            backoff=LoopBackoff(log, "notifications", "dispatcher"),
            ahead=not self.send_rates.rates,
        )
        self.close()
        log.info("dispatcher stopped")


def _close_channels(channels: dict[str, Channel]) -> None:
    for channel in channels.values():
        close = getattr(channel, "close", None)
        if close:
            close()


def publish_outcome(uow, nudge: Nudge) -> None:
    """``notification.sent`` or ``notification.failed`` for a nudge that reached either."""
    event = outcome_event(
        state=nudge.state,
        nudge_id=nudge.id,
        client_id=nudge.client_id,
        kind=nudge.kind,
        channel=nudge.channel,
        reason=nudge.reason,
    )
    if event is not None:
        event_type, data = event
        uow.publish(event_type, nudge.tenant_id, data, aggregate_id=nudge.client_id)


def outcome_event(
    *, state: str, nudge_id, client_id, kind: str, channel, reason
) -> tuple[str, dict] | None:
    """The event a nudge's outcome announces, if any: ``notification.sent`` or
    ``notification.failed`` (for the kinds in the catalogue)."""
    if state not in ("sent", "failed") or kind not in KINDS:
        return None
    return f"notification.{state}", {
        "nudge_id": nudge_id,
        "client_id": client_id,
        "kind": kind,
        "channel": channel,
        "reason": reason,
    }
