"""A crisis alert nobody acknowledged goes to the organisation's on-call list.

When an open alert's ``escalate_at`` has passed (the organisation's
``acknowledge_within_minutes`` after it opened), everyone on the on-call list (the email
addresses and phones of the crisis settings; none given: the organisation's active admins,
by email and, with a phone, by SMS) gets one ``crisis_escalation`` message naming the
client, as the coach's alert does, with a link to acknowledge it. At any hour: no quiet
hours, no cap. Then again at each next window while still open, at most
``MAX_ESCALATIONS`` times (the first and up to seven repeats: two hours at the default
15 minutes); after that the alert stays open, listed and counted by the metric, without
more messages.

The dispatcher's loop runs :func:`escalate_due` (every ``SWEEP_SECONDS`` of the runtime
clock). Exactly one message per window per recipient, however many dispatchers run: the
due alerts are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises
writers) and moved to their next window in the same transaction, and each message has the
unique key (alert, window, recipient).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from services.notifications.models import Contact, Nudge, Organisation, StaffMember
from services.notifications.replies.crisis_answers import MAX_ADMINS_ALERTED, alert_variables
from services.notifications.replies.crisis_rules import on_call_channel
from services.notifications.replies.crisis_settings import crisis_settings_for
from services.notifications.replies.models import CrisisAlert
from shared import metrics
from shared.db import UnitOfWork

log = logging.getLogger(__name__)

KIND = "crisis_escalation"
MAX_ESCALATIONS = 8
SWEEP_SECONDS = 15
BATCH = 50


@dataclass(frozen=True)
class Recipient:
    channel: str
    to: str
    staff_id: uuid.UUID | None = None

    @property
    def key(self) -> str:
        """The recipient in a message's unique key (a digest: no address in the key)."""
        return hashlib.sha256(f"{self.channel}:{self.to}".encode()).hexdigest()[:16]


def on_call_recipients(session, tenant_id: uuid.UUID, on_call: tuple[str, ...]) -> list[Recipient]:
    """The on-call list as configured; none: the organisation's active admins."""
    listed = [Recipient(channel, to) for to in on_call if (channel := on_call_channel(to))]
    if listed:
        return listed
    admins = session.scalars(
        select(StaffMember)
        .where(
            StaffMember.tenant_id == tenant_id,
            StaffMember.role == "org_admin",
            StaffMember.active.is_(True),
        )
        .order_by(StaffMember.staff_id)
        .limit(MAX_ADMINS_ALERTED)
    )
    recipients = []
    for admin in admins:
        recipients.append(Recipient("email", admin.email, admin.staff_id))
        if admin.phone:
            recipients.append(Recipient("sms", admin.phone, admin.staff_id))
    return recipients


def escalate_due(uow: UnitOfWork, now: datetime, batch: int = BATCH) -> int:
    """Send every open alert whose window has passed to the on-call list (one
    transaction); returns how many alerts were escalated."""
    with uow:
        session = uow.session
        due = list(
            session.scalars(
                select(CrisisAlert)
                .where(CrisisAlert.state == "open", CrisisAlert.escalate_at <= now)
                .order_by(CrisisAlert.escalate_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        for alert in due:
            _escalate(session, alert, now)
        overdue = session.scalar(
            select(func.count())
            .select_from(CrisisAlert)
            .where(
                CrisisAlert.state == "open",
                or_(CrisisAlert.escalations > 0, CrisisAlert.escalate_at <= now),
            )
        )
        uow.commit()
    metrics.CRISIS_ALERTS_OVERDUE.set(overdue or 0)
    if due:
        metrics.CRISIS_ESCALATIONS.inc(len(due))
        log.info("crisis alerts escalated to the on-call list", extra={"alerts": len(due)})
    return len(due)


def _escalate(session, alert: CrisisAlert, now: datetime) -> None:
    contact = session.get(Contact, (alert.tenant_id, alert.client_id))
    if contact is None or contact.status == "erased":
        alert.escalate_at = None
        return
    settings = crisis_settings_for(session, alert.tenant_id)
    window = timedelta(minutes=settings.acknowledge_within_minutes)
    round_ = alert.escalations + 1
    recipients = on_call_recipients(session, alert.tenant_id, settings.on_call)
    variables = alert_variables(
        contact, session.get(Organisation, alert.tenant_id), alert.opened_at
    )
    variables |= {
        "minutes_open": max(1, int((now - alert.opened_at).total_seconds() // 60)),
        "alert_id": str(alert.id),  # the dispatcher writes the signed link
    }
    for recipient in recipients:
        key = f"escalation:{alert.id}:{round_}:{recipient.key}"
        exists = session.scalar(
            select(Nudge.id).where(
                Nudge.tenant_id == alert.tenant_id,
                Nudge.client_id == alert.client_id,
                Nudge.kind == KIND,
                Nudge.occurrence_key == key,
            )
        )
        if exists is not None:
            continue
        session.add(
            Nudge(
                id=uuid.uuid4(),
                tenant_id=alert.tenant_id,
                client_id=alert.client_id,
                kind=KIND,
                occurrence_key=key,
                audience="on_call",
                staff_id=recipient.staff_id,
                subject_id=alert.id,
                priority=10,
                variables=variables
                | {"to": recipient.to}
                | ({"recipient": str(recipient.staff_id)} if recipient.staff_id else {}),
                channel=recipient.channel,
                state="scheduled",
                due_at=now,
                attempts=0,
            )
        )
    if not recipients:
        log.warning(
            "a crisis alert is unacknowledged and nobody is on call",
            extra={"alert_id": str(alert.id), "tenant_id": str(alert.tenant_id)},
        )
    alert.escalations = round_
    if round_ >= MAX_ESCALATIONS:
        alert.escalate_at = None
    else:
        following = alert.escalate_at + window
        alert.escalate_at = following if following > now else now + window
