"""The dispatcher's loop: claim a batch of due nudges, apply the rules, send, record.

One short transaction claims a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several dispatchers never take the same nudge; SQLite serialises writers, so run one
dispatcher there), marks it ``sending`` under a lease, applies the rules with the facts
of that moment (see ``rules.py``; the :class:`Facts` of the batch are read in one query
per table) and records the nudges held back. Composing the messages (an organisation's
template may take up to the render time limit) and sending them happen after that
transaction, outside any, and each outcome is recorded (by the recorder's thread) with its
event and the message's text as soon as it is known. A dispatcher that dies mid-send
leaves the lease to expire, and the nudge is taken again: the deterministic
``Message-ID`` lets mail systems drop the copy.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.notifications.channels import (
    Channel,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notifications.digest.recurring_nudges import RECURRENCES, schedule_following
from services.notifications.dispatcher.claiming import (
    SWITCH_INTERVAL_SECONDS,
    Batch,
    claim_ahead,
    claim_due,
    keep_verdicts,
)
from services.notifications.dispatcher.composing import Delivery, Draft, compose, draft_of
from services.notifications.dispatcher.facts import UNCAPPED_KINDS, Facts, staff_id_of
from services.notifications.dispatcher.kind_content import content_of, has_content_hook
from services.notifications.dispatcher.lease import LEASE, LeaseClock, LeaseKeeper, lease_clock_for
from services.notifications.dispatcher.outcomes import (
    DeliveryOutcome,
    count_recorded,
    record_in_a_unit_of_work,
    record_in_one_statement,
)
from services.notifications.dispatcher.rate_limits import SendRates
from services.notifications.dispatcher.recorder import OutcomeRecorder
from services.notifications.dispatcher.rules import (
    Decision,
    decide_for_client,
    decide_for_coach,
    decide_for_number,
    decide_for_on_call,
)
from services.notifications.models import Contact, Nudge
from services.notifications.replies.alert_escalation import SWEEP_SECONDS, escalate_due
from services.notifications.supporters.claim_hook import after_claim as supporters_after_claim
from services.notifications.wording.locales import shipped_locale
from shared import metrics
from shared.backoff import Backoff
from shared.db.commit_wakeup import commit_wakeup
from shared.db.outage import LoopBackoff
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 6
MAX_BACKOFF = timedelta(minutes=30)
HELD_BACK_STATES = {
    "suppress": "suppressed",
    "expire": "expired",
    "cancel": "cancelled",
    "skip": "skipped",
}


def _with_kind_content(
    nudge: Nudge, decision: Decision, facts: Facts, contact: Contact
) -> Decision:
    """The kind's own content, computed as it goes (``kind_content``), its dates in the
    client's language; a kind with nothing to say (a digest's empty week) is skipped."""
    organisation = facts.organisations.get(nudge.tenant_id)
    language = shipped_locale(contact.locale, organisation and organisation.default_locale)
    said = content_of(nudge, facts.content, contact.timezone, language)
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
        lease_clock: LeaseClock | None = None,
        retry_backoff: Backoff | None = None,
    ):
        """``more_channels``: further sets of channels (each its own SMTP session and SMS
        client) to send a batch on in parallel; a mail server's replies are mostly
        waiting, so a few sessions move far more messages than one. ``send_rates``: the
        providers' rates (by default as configured, shared by every dispatcher).
        ``lease_clock``: what leases are measured by (by default the database's clock,
        see ``lease``). ``retry_backoff``: the wait before a failed send is tried again
        (by default from ``RETRY_BASE_SECONDS``, doubled per attempt, jittered)."""
        self.runtime = runtime
        self.channels = channels
        self.lanes = [channels, *more_channels]
        self._pool = (
            ThreadPoolExecutor(len(self.lanes) - 1, thread_name_prefix="sender")
            if len(self.lanes) > 1
            else None
        )
        self._clock = clock
        self.lease_clock = lease_clock or lease_clock_for(runtime.engine, self.clock)
        self.send_rates = send_rates or SendRates.from_settings(runtime.settings, runtime.engine)
        self.batch_size = self.send_rates.batch_ceiling(batch_size)
        self.max_attempts = max_attempts
        self.retry_backoff = retry_backoff or Backoff(
            runtime.settings.retry_base_seconds, MAX_BACKOFF.total_seconds()
        )
        self._one_statement = (
            runtime.autocommit_engine if runtime.engine.dialect.name == "postgresql" else None
        )
        self.recorder = OutcomeRecorder(self.record)
        self._escalations_due: datetime | None = None
        # Idle, woken by the commit of a new nudge (or the poll): shared/db/commit_wakeup.py
        self.idle_wait = commit_wakeup(runtime.engine, "nudges")

    def clock(self) -> datetime:
        return (self._clock or self.runtime.clock)()

    # -- claiming ---------------------------------------------------------------------
    def _claim(self, session: Session, now: datetime) -> tuple[list[Nudge], datetime]:
        """Due nudges, and ones whose lease ran out, marked ``sending`` under a lease;
        with the time on the leases' clock."""
        leases_at = self.lease_clock(session)
        nudges = claim_due(session, now, self.batch_size, leases_at)
        for nudge in nudges:
            nudge.state = "sending"
            nudge.claimed_until = leases_at + LEASE
        return nudges, leases_at

    def claim(self) -> list[uuid.UUID]:
        """Claim a batch without preparing it (what a dispatcher that dies next leaves)."""
        with self.runtime.session_factory() as session:
            nudges, _ = self._claim(session, self.clock())
            session.commit()
            return [nudge.id for nudge in nudges]

    def run_once(self) -> int:
        """Claim a batch, apply the rules and record the ones held back (one short
        transaction), then render and send the rest outside any transaction, recording
        each outcome as it comes. Returns how many were claimed."""
        batch = self.take_batch()
        self.deliver(batch)
        return batch.claimed

    def _escalate(self, now: datetime) -> None:
        due = self._escalations_due
        # Not yet due (a clock set back further than a sweep's interval sweeps again).
        if due is not None and due - timedelta(seconds=SWEEP_SECONDS) <= now < due:
            return
        self._escalations_due = now + timedelta(seconds=SWEEP_SECONDS)
        try:
            escalate_due(self.runtime.unit_of_work(), now)
        except Exception:  # the nudges still go; the sweep is tried again next time
            log.exception("could not escalate unacknowledged crisis alerts")

    def take_batch(self) -> Batch:
        """Claim a batch and apply the rules (one short transaction); the lease of the
        nudges going out is renewed from then until :meth:`deliver` has sent them.
        Every ``SWEEP_SECONDS`` first, crisis alerts nobody acknowledged in time go to the
        on-call list (``replies.alert_escalation``): their messages are due at once."""
        now = self.clock()
        self._escalate(now)
        with self.runtime.unit_of_work() as uow:
            nudges, leases_at = self._claim(uow.session, now)
            if nudges and self._one_statement is not None:
                _lock_clients(uow.session, nudges)
            drafts = self._prepare_all(uow.session, nudges, now, leases_at) if nudges else []
            if self._one_statement is not None:  # elsewhere the session's flush writes them
                keep_verdicts(uow.session, nudges, now)
            schedule_following(uow, _recurring_done_with(nudges, drafts), now)
            supporters_after_claim(uow, nudges, now)  # prompts watched, disclosures logged
            uow.commit()  # nothing leaves before the claim and the rules' verdicts are kept
        if nudges:  # one line a batch: each nudge's own are at DEBUG
            held_back = Counter(n.state for n in nudges if n.state != "sending")
            log.info(
                "nudges claimed",
                extra={"claimed": len(nudges), "going": len(drafts), "held_back": held_back},
            )
        batch = Batch(len(nudges), drafts)
        ids = [draft.nudge_id for draft in drafts]
        batch.lease.enter_context(LeaseKeeper(self.runtime.session_factory, ids, self.lease_clock))
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
    def _prepare_all(
        self, session: Session, nudges: list[Nudge], now: datetime, leases_at: datetime
    ) -> list[Draft]:
        with session.no_autoflush:  # the claim and the verdicts are written in one flush
            facts = Facts.load(session, nudges, now, leases_at)
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
            staff_id = staff_id_of(nudge, facts.contacts)
            staff = facts.staff.get((nudge.tenant_id, staff_id)) if staff_id else None
            decision = decide_for_coach(staff, nudge.channel)
        elif nudge.audience == "number":
            decision = decide_for_number(nudge)
        elif nudge.audience == "on_call":
            decision = decide_for_on_call(nudge)
        else:
            if nudge.audience == "client":
                staff_id = staff_id_of(nudge, facts.contacts)
                staff = facts.staff.get((nudge.tenant_id, staff_id)) if staff_id else None
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
            if decision.action == "send" and has_content_hook(nudge):
                decision = _with_kind_content(nudge, decision, facts, contact)
        if decision.action != "send":
            self._hold_back(nudge, decision)
            log.debug(
                "nudge held back",
                extra={"nudge_id": str(nudge.id), "state": nudge.state, "reason": nudge.reason},
            )
            return None
        overrides = facts.overrides_for(nudge.tenant_id, nudge.kind, decision.channel)
        if nudge.audience not in ("coach", "on_call") and nudge.kind not in UNCAPPED_KINDS:
            facts.planned[client_key] += 1
        nudge.channel = decision.channel
        nudge.attempts += 1
        code = None
        if nudge.audience == "client" and contact is not None and contact.phone_code:
            code = contact.phone_code if contact.phone in facts.shared_phones else None
        return draft_of(
            nudge,
            contact,
            organisation,
            staff,
            decision,
            overrides,
            settings=self.runtime.settings,
            clock=self.clock,
            sender_number=(nudge.variables or {}).get("from")
            if nudge.audience == "number"
            else facts.sender_numbers.get(nudge.tenant_id),
            confirm_code=code,
        )

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

    # -- sending ------------------------------------------------------------------------
    def _send_all(self, drafts: list[Draft], channels: dict[str, Channel]) -> None:
        for draft in drafts:
            try:
                delivery = compose(draft)
            except Exception:
                # Left claimed: its lease expires and it is tried again later.
                log.exception("could not write a nudge", extra={"nudge_id": str(draft.nudge_id)})
                continue
            if delivery.message is None:
                self.recorder.put(DeliveryOutcome(delivery, "failed", reason=delivery.note))
            else:
                self._send(delivery, channels)

    def _send(self, delivery: Delivery, channels: dict[str, Channel]) -> None:
        try:
            self.send_rates.wait_for_slot(delivery.channel)
            provider_id = channels[delivery.channel].send(delivery.message)
        except PermanentDeliveryError as exc:
            metrics.PROVIDER_ERRORS.labels(delivery.channel, "permanent").inc()
            bounced = delivery.message.to if exc.bounce else None
            outcome = DeliveryOutcome(delivery, "failed", reason=str(exc), bounced_address=bounced)
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
                outcome = DeliveryOutcome(delivery, "failed", reason=f"gave up: {exc}")
            else:
                delay = timedelta(seconds=self.retry_backoff.delay(delivery.attempts))
                if exc.retry_after:
                    delay = max(delay, timedelta(seconds=exc.retry_after))
                outcome = DeliveryOutcome(
                    delivery, "scheduled", reason=f"retrying: {exc}", due_at=self.clock() + delay
                )
        else:
            outcome = DeliveryOutcome(
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

    # -- outcomes -----------------------------------------------------------------------
    def record(self, outcomes: list[DeliveryOutcome]) -> None:
        """Record outcomes with their events (``notification.sent`` or ``.failed``) in one
        transaction: on PostgreSQL one statement, elsewhere (and when an address hard
        bounced, which suppresses it too) a unit of work."""
        now = self.clock()
        if self._one_statement is not None and not any(o.bounced_address for o in outcomes):
            # The unit of work only builds the outbox rows: no session is opened.
            record_in_one_statement(self._one_statement, self.runtime.unit_of_work(), outcomes, now)
        else:
            with self.runtime.unit_of_work() as uow:
                record_in_a_unit_of_work(uow, outcomes, now)
                uow.commit()
        count_recorded(outcomes)

    def close(self) -> None:
        """Record what is pending, then close every session."""
        self.recorder.stop()
        self.idle_wait.close()
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
            idle_wait=self.idle_wait,
        )
        self.close()
        log.info("dispatcher stopped")


def _close_channels(channels: dict[str, Channel]) -> None:
    for channel in channels.values():
        close = getattr(channel, "close", None)
        if close:
            close()
