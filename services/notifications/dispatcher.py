"""The dispatcher: claims due nudges, applies the rules, sends, records the outcome.

Claiming marks a nudge ``sending`` with a lease in its own short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers never take the same
nudge; SQLite serialises writers, so run one dispatcher there). The rules are applied
with the facts of that moment (see ``rules.py``); the send happens outside any
transaction; the outcome and its event are then committed together. A dispatcher that
dies mid-send leaves the lease to expire, and the nudge is taken again: the
deterministic ``Message-ID`` lets mail systems drop the copy.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.notifications import suppressions
from services.notifications.channels import (
    Channel,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notifications.contacts import PENDING_STATES
from services.notifications.kinds import KINDS
from services.notifications.models import (
    Contact,
    Nudge,
    Organisation,
    StaffMember,
    TemplateOverride,
)
from services.notifications.quiet_hours import local_day_bounds
from services.notifications.rules import Decision, decide_for_client, decide_for_coach
from services.notifications.templates import render
from services.notifications.unsubscribe import make_token, unsubscribe_url
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_SEND_ATTEMPTS = 6
MAX_BACKOFF = timedelta(minutes=30)
DEFAULT_ORGANISATION_NAME = "your coaching service"
HELD_BACK_STATES = {"suppress": "suppressed", "expire": "expired", "cancel": "cancelled"}


@dataclass(frozen=True)
class Delivery:
    """A nudge ready to go: where, and the message itself."""

    nudge_id: uuid.UUID
    tenant_id: uuid.UUID
    channel: str
    message: OutgoingMessage


class Dispatcher:
    def __init__(
        self,
        runtime: ServiceRuntime,
        channels: dict[str, Channel],
        *,
        clock: Callable[[], datetime] | None = None,
        batch_size: int = 50,
        max_attempts: int = MAX_SEND_ATTEMPTS,
    ):
        self.runtime = runtime
        self.channels = channels
        self._clock = clock
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.retry_base = timedelta(seconds=runtime.settings.retry_base_seconds)

    def clock(self) -> datetime:
        return (self._clock or self.runtime.clock)()

    # -- claiming ---------------------------------------------------------------------
    def claim(self) -> list[uuid.UUID]:
        now = self.clock()
        with self.runtime.session_factory() as session:
            stmt = (
                select(Nudge)
                .where(
                    or_(
                        Nudge.state.in_(PENDING_STATES) & (Nudge.due_at <= now),
                        (Nudge.state == "sending") & (Nudge.claimed_until < now),
                    )
                )
                .order_by(Nudge.priority.desc(), Nudge.due_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            nudges = list(session.scalars(stmt))
            for nudge in nudges:
                nudge.state = "sending"
                nudge.claimed_until = now + LEASE
            session.commit()
            return [nudge.id for nudge in nudges]

    def run_once(self) -> int:
        claimed = self.claim()
        for delivery in self._prepare_all(claimed):
            self._send(delivery)
        return len(claimed)

    # -- preparing a claimed batch --------------------------------------------------------
    def _prepare_all(self, nudge_ids: list[uuid.UUID]) -> list[Delivery]:
        """Apply the rules to every claimed nudge in one transaction: record the ones held
        back, return the ones to send (nothing leaves before this commits)."""
        if not nudge_ids:
            return []
        now = self.clock()
        deliveries = []
        planned: Counter = Counter()  # sends already decided in this batch, per client
        with self.runtime.unit_of_work() as uow:
            for nudge_id in nudge_ids:
                try:
                    with uow.session.begin_nested():
                        delivery = self._prepare(uow.session, nudge_id, now, planned)
                except Exception:
                    # Left claimed: its lease expires and it is tried again later.
                    log.exception("could not prepare a nudge", extra={"nudge_id": str(nudge_id)})
                    continue
                if delivery is not None:
                    deliveries.append(delivery)
            uow.commit()
        return deliveries

    def _send(self, delivery: Delivery) -> None:
        try:
            provider_id = self.channels[delivery.channel].send(delivery.message)
        except TransientDeliveryError as exc:
            self._retry_or_fail(delivery.nudge_id, str(exc))
        except PermanentDeliveryError as exc:
            self._fail(delivery.nudge_id, str(exc), bounce=exc.bounce, address=delivery.message.to)
        else:
            self._finish(delivery.nudge_id, "sent", provider_message_id=provider_id)

    def _prepare(
        self, session: Session, nudge_id: uuid.UUID, now: datetime, planned: Counter
    ) -> Delivery | None:
        """Apply the rules to one nudge; record it if held back, or return what to send."""
        nudge = session.get(Nudge, nudge_id)
        if nudge is None or nudge.state != "sending":
            return None
        contact = session.get(Contact, (nudge.tenant_id, nudge.client_id))
        organisation = session.get(Organisation, nudge.tenant_id)
        staff = None
        client_key = (nudge.tenant_id, nudge.client_id)
        if nudge.audience == "coach":
            staff_id = nudge.staff_id or (contact.coach_id if contact else None)
            staff = session.get(StaffMember, (nudge.tenant_id, staff_id)) if staff_id else None
            decision = decide_for_coach(staff)
        else:
            decision = decide_for_client(
                nudge,
                contact,
                organisation,
                now=now,
                suppressed=lambda channel, to: self._suppression_reason(
                    session, nudge.tenant_id, channel, to
                ),
                sent_today=lambda: self._sent_today(session, contact, now) + planned[client_key],
            )
        if decision.action != "send":
            self._hold_back(nudge, decision)
            log.info(
                "nudge held back",
                extra={"nudge_id": str(nudge_id), "state": nudge.state, "reason": nudge.reason},
            )
            return None
        if nudge.audience != "coach":
            planned[client_key] += 1
        message = self._compose(session, nudge, contact, organisation, staff, decision)
        nudge.channel = decision.channel
        nudge.attempts += 1
        nudge.body = message.text
        return Delivery(nudge.id, nudge.tenant_id, decision.channel, message)

    @staticmethod
    def _hold_back(nudge: Nudge, decision: Decision) -> None:
        nudge.channel = decision.channel or nudge.channel
        nudge.reason = decision.reason
        nudge.claimed_until = None
        if decision.action == "defer":
            nudge.state = "deferred"
            nudge.due_at = decision.until
        else:
            nudge.state = HELD_BACK_STATES[decision.action]

    @staticmethod
    def _suppression_reason(session: Session, tenant_id, channel: str, to: str) -> str | None:
        found = suppressions.suppression_of(session, tenant_id, channel, to)
        return found.reason if found else None

    @staticmethod
    def _sent_today(session: Session, contact: Contact, now: datetime) -> int:
        start, end = local_day_bounds(now, contact.timezone)
        return session.scalar(
            select(func.count())
            .select_from(Nudge)
            .where(
                Nudge.tenant_id == contact.tenant_id,
                Nudge.client_id == contact.client_id,
                Nudge.audience == "client",
                Nudge.state == "sent",
                Nudge.sent_at >= start,
                Nudge.sent_at < end,
            )
        )

    def _compose(
        self,
        session: Session,
        nudge: Nudge,
        contact: Contact | None,
        organisation: Organisation | None,
        staff: StaffMember | None,
        decision: Decision,
    ) -> OutgoingMessage:
        settings = self.runtime.settings
        variables = dict(nudge.variables or {})
        variables["organisation_name"] = (
            organisation.name if organisation and organisation.name else DEFAULT_ORGANISATION_NAME
        )
        variables["help_contact"] = (
            organisation.help_contact
            if organisation and organisation.help_contact
            else settings.email_from
        )
        headers: dict[str, str] = {}
        if nudge.audience == "coach":
            variables["coach_name"] = staff.name if staff else ""
        else:
            variables["name"] = contact.display_name if contact else ""
            if decision.channel == "email":
                token = make_token(settings.jwt_secret, nudge.tenant_id, nudge.client_id)
                url = unsubscribe_url(settings.public_base_url, token)
                variables["unsubscribe_url"] = url
                headers["List-Unsubscribe"] = f"<{url}>"
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        override = session.get(TemplateOverride, (nudge.tenant_id, nudge.kind, decision.channel))
        rendered = render(nudge.kind, decision.channel, variables, override)
        return OutgoingMessage(
            message_id=f"<{nudge.id}@coaching.nudges>",
            to=decision.to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            headers=headers,
        )

    # -- outcomes -----------------------------------------------------------------------
    def _retry_or_fail(self, nudge_id: uuid.UUID, error: str) -> None:
        with self.runtime.unit_of_work() as uow:
            nudge = uow.session.get(Nudge, nudge_id)
            if nudge.attempts < self.max_attempts:
                delay = min(self.retry_base * 2 ** (nudge.attempts - 1), MAX_BACKOFF)
                nudge.state = "scheduled"
                nudge.due_at = self.clock() + delay
                nudge.reason = f"retrying: {error}"[:1000]
                nudge.claimed_until = None
                uow.commit()
                log.info(
                    "nudge delivery deferred",
                    extra={"nudge_id": str(nudge_id), "attempt": nudge.attempts},
                )
                return
        self._finish(nudge_id, "failed", reason=f"gave up: {error}")

    def _fail(self, nudge_id: uuid.UUID, reason: str, *, bounce: bool, address: str) -> None:
        self._finish(nudge_id, "failed", reason=reason, bounced_address=address if bounce else None)

    def _finish(
        self,
        nudge_id: uuid.UUID,
        state: str,
        *,
        reason: str | None = None,
        provider_message_id: str | None = None,
        bounced_address: str | None = None,
    ) -> None:
        with self.runtime.unit_of_work() as uow:
            nudge = uow.session.get(Nudge, nudge_id)
            nudge.state = state
            nudge.reason = reason[:1000] if reason else None
            nudge.claimed_until = None
            if state == "sent":
                nudge.sent_at = self.clock()
                nudge.provider_message_id = provider_message_id
            if bounced_address and nudge.channel:
                suppressions.suppress(
                    uow.session, nudge.tenant_id, nudge.channel, bounced_address, "bounce"
                )
            publish_outcome(uow, nudge)
            uow.commit()
        log.info("nudge " + state, extra={"nudge_id": str(nudge_id), "kind": nudge.kind})

    def run_forever(self, stop: threading.Event) -> None:
        log.info("dispatcher started")
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception("dispatcher loop failed; retrying")
                stop.wait(1.0)
                continue
            if handled < self.batch_size:
                stop.wait(self.runtime.settings.poll_interval_seconds)
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close:
                close()
        log.info("dispatcher stopped")


def publish_outcome(uow, nudge: Nudge) -> None:
    """``notification.sent`` or ``notification.failed`` for a nudge that reached either."""
    if nudge.state not in ("sent", "failed") or nudge.kind not in KINDS:
        return
    uow.publish(
        f"notification.{nudge.state}",
        nudge.tenant_id,
        {
            "nudge_id": nudge.id,
            "client_id": nudge.client_id,
            "kind": nudge.kind,
            "channel": nudge.channel,
            "reason": nudge.reason,
        },
        aggregate_id=nudge.client_id,
    )
