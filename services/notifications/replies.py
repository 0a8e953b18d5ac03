"""A client's reply, recorded once: read it, act on it, tell plans (``client.replied``).

One domain function for every channel: an inbound SMS is read here (``read_sms``); an
email link or the client's own page already knows what the client meant and builds the
``ClientReply`` itself. ``record_reply`` then does the rest in the caller's unit of work:

- a **crisis** gets the organisation's crisis text at once (any hour, past a pause or the
  cap: only the suppression list holds it back) and the coach an alert at once, by email
  and, when the coach has a phone, by SMS, even when the client's number is suppressed.
  Plans flags the plan (``client.risk_flagged``, ``crisis_message``); notifications does
  not alert a second time for that flag;
- a **mood**, **done** or **journal** reply by SMS gets one short acknowledgement.

What the client wrote is health data: it is never logged, travels only in the event's
payload (never a routing key), and is not kept here.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.notifications import suppressions
from services.notifications.coach_alerts import client_ref
from services.notifications.contacts import contacts_with_phone
from services.notifications.crisis import region_of
from services.notifications.crisis_settings import crisis_settings_for, crisis_text_for
from services.notifications.models import Contact, Nudge, ReceivedReply, StaffMember
from services.notifications.nudges import schedule_nudge
from services.notifications.reply_parsing import MAX_TEXT_LENGTH, read_reply, says_done
from shared.db import UnitOfWork

log = logging.getLogger(__name__)

CHANNELS = ("sms", "email", "web")
INTENTS = ("crisis", "mood", "done", "journal")
# DONE counts for the action reminder sent by SMS within this long before it.
DONE_WINDOW = timedelta(hours=24)
# Read this much of a message (a crisis phrase late in a long text still counts).
MAX_READ_LENGTH = 10 * MAX_TEXT_LENGTH
# Several clients of one organisation on one number is rare; this bounds the search.
MAX_CONTACTS_PER_NUMBER = 50
MAX_ADMINS_ALERTED = 20
COACH_TOLD = "Your coach has been told."
ACKNOWLEDGEMENTS = {"mood": "mood_ack", "done": "done_ack", "journal": "journal_ack"}
_REPLY_NAMESPACE = uuid.UUID("6f1d2b8e-55c3-4c55-9a51-2f1f0e3c7a10")


@dataclass(frozen=True)
class ClientReply:
    """What a client said, in the shape of ``client.replied`` v1. ``text`` is kept only for
    crisis and journal replies; ``action_title`` only words the acknowledgement."""

    reply_id: uuid.UUID
    channel: str
    received_at: datetime
    intent: str
    rating: int | None = None
    action_id: uuid.UUID | None = None
    occurrence_key: str | None = None
    text: str | None = None
    action_title: str | None = None


def reply_id_for(channel: str, provider_message_id: str) -> uuid.UUID:
    """The reply's idempotency key: the same provider message is always the same reply."""
    return uuid.uuid5(_REPLY_NAMESPACE, f"{channel}:{provider_message_id}")


# -- whose reply, and what it means -----------------------------------------------------


def contact_for_number(session, phone: str) -> Contact | None:
    """The client who texted from ``phone``. One shared sending number serves every
    organisation, so a number known to several belongs to the one that texted it last."""
    candidates = [c for c in contacts_with_phone(session, phone) if c.status != "erased"]
    candidates = candidates[:MAX_CONTACTS_PER_NUMBER]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    by_client = {(c.tenant_id, c.client_id): c for c in candidates}
    texted = session.execute(
        select(Nudge.tenant_id, Nudge.client_id)
        .where(
            Nudge.tenant_id.in_({c.tenant_id for c in candidates}),
            Nudge.client_id.in_([c.client_id for c in candidates]),
            Nudge.audience == "client",
            Nudge.channel == "sms",
            Nudge.state == "sent",
        )
        .order_by(Nudge.sent_at.desc())
        .limit(MAX_CONTACTS_PER_NUMBER)
    )
    for key in texted:
        if tuple(key) in by_client:
            return by_client[tuple(key)]
    return max(candidates, key=lambda c: c.updated_at)


def recent_sms_reminder(session, contact: Contact, now: datetime) -> Nudge | None:
    """The last action reminder sent to the client by SMS within ``DONE_WINDOW``."""
    return session.scalar(
        select(Nudge)
        .where(
            Nudge.tenant_id == contact.tenant_id,
            Nudge.client_id == contact.client_id,
            Nudge.kind == "action_reminder",
            Nudge.channel == "sms",
            Nudge.state == "sent",
            Nudge.sent_at >= now - DONE_WINDOW,
        )
        .order_by(Nudge.sent_at.desc())
        .limit(1)
    )


def yes_means_done(session, phone: str, body: str, now: datetime) -> bool:
    """YES is both an opt-in keyword and a "done". It is "done" when the number is not
    suppressed (nothing to opt back in to) and was sent an action reminder by SMS in the
    last 24 hours; otherwise it keeps its keyword meaning."""
    if not says_done(body):
        return False
    contact = contact_for_number(session, phone)
    if contact is None or not contact.phone:
        return False
    if suppressions.suppression_of(session, contact.tenant_id, "sms", contact.phone):
        return False
    return recent_sms_reminder(session, contact, now) is not None


def read_sms(
    session, contact: Contact, body: str, reply_id: uuid.UUID, received_at: datetime
) -> ClientReply:
    """Read an inbound text in the order crisis, mood, done, journal. DONE with no action
    reminder sent by SMS in the last 24 hours is a journal entry."""
    phrases = crisis_settings_for(session, contact.tenant_id).phrases
    reading = read_reply(body[:MAX_READ_LENGTH], phrases)
    text = body.strip()[:MAX_TEXT_LENGTH]
    if reading.intent == "done":
        reminder = recent_sms_reminder(session, contact, received_at)
        if reminder is not None:
            return ClientReply(
                reply_id,
                "sms",
                received_at,
                "done",
                action_id=reminder.subject_id,
                occurrence_key=reminder.subject_occurrence,
                action_title=(reminder.variables or {}).get("action_title"),
            )
        return ClientReply(reply_id, "sms", received_at, "journal", text=text)
    kept = text if reading.intent in ("crisis", "journal") else None
    return ClientReply(reply_id, "sms", received_at, reading.intent, reading.rating, text=kept)


# -- acting on it -------------------------------------------------------------------------


def record_reply(uow: UnitOfWork, contact: Contact, reply: ClientReply, now: datetime) -> bool:
    """Record the reply once, answer it and emit ``client.replied``, in the caller's unit
    of work. False (and nothing done) when this reply was recorded before."""
    session = uow.session
    if session.get(ReceivedReply, reply.reply_id) is not None:
        return False
    session.add(
        ReceivedReply(
            id=reply.reply_id,
            tenant_id=contact.tenant_id,
            client_id=contact.client_id,
            channel=reply.channel,
            intent=reply.intent,
            received_at=reply.received_at,
        )
    )
    session.flush()  # a copy being recorded at this moment fails here, before any effect
    if reply.intent == "crisis":
        _answer_crisis(uow, contact, reply, now)
    elif reply.channel == "sms":
        _acknowledge(uow, contact, reply, now)
    uow.publish(
        "client.replied",
        contact.tenant_id,
        {
            "reply_id": reply.reply_id,
            "client_id": contact.client_id,
            "channel": reply.channel,
            "received_at": reply.received_at,
            "intent": reply.intent,
            "rating": reply.rating,
            "action_id": reply.action_id,
            "occurrence_key": reply.occurrence_key,
            "text": reply.text if reply.intent in ("crisis", "journal") else None,
        },
        aggregate_id=contact.client_id,
    )
    return True


def receive_sms(runtime, sender: str, body: str, message_sid: str) -> bool:
    """An inbound text that is not a keyword: a reply from the client with that number.
    True when it was recorded now; False for a blank text (a picture alone), an unknown
    number or a copy seen before."""
    if not body.strip():
        return False
    now = runtime.clock()
    reply_id = reply_id_for("sms", message_sid)
    try:
        with runtime.unit_of_work() as uow:
            contact = contact_for_number(uow.session, sender)
            if contact is None:
                return False
            reply = read_sms(uow.session, contact, body, reply_id, now)
            recorded = record_reply(uow, contact, reply, now)
            uow.commit()
    except IntegrityError:
        return False  # the provider's retry raced the first delivery, which recorded it
    if recorded:
        log.info(
            "client reply recorded",
            extra={"reply_id": str(reply_id), "intent": reply.intent, "channel": "sms"},
        )
    return recorded


def _acknowledge(uow: UnitOfWork, contact: Contact, reply: ClientReply, now: datetime) -> None:
    variables = {}
    if reply.intent == "mood":
        variables["rating"] = reply.rating
    elif reply.intent == "done":
        variables["action_title"] = reply.action_title or "your step"
    schedule_nudge(
        uow,
        contact,
        ACKNOWLEDGEMENTS[reply.intent],
        f"reply:{reply.reply_id}",
        now,
        variables=variables,
        channel="sms",
    )


def _answer_crisis(uow: UnitOfWork, contact: Contact, reply: ClientReply, now: datetime) -> None:
    """The crisis text to the client (for their region) and an alert to the coach, both
    due now. The text says the coach has been told only when the client's coach is."""
    alerted = _staff_to_alert(uow.session, contact)
    crisis_text = crisis_text_for(uow.session, contact.tenant_id, region_of(contact))
    if any(staff.staff_id == contact.coach_id for staff in alerted):
        crisis_text = f"{crisis_text} {COACH_TOLD}"
    channel = reply.channel if reply.channel != "web" else ("sms" if contact.phone else "email")
    schedule_nudge(
        uow,
        contact,
        "crisis_text",
        f"reply:{reply.reply_id}",
        now,
        variables={"crisis_text": crisis_text},
        channel=channel,
    )
    if not alerted:
        log.warning(
            "crisis message with no coach or admin to alert",
            extra={"reply_id": str(reply.reply_id), "tenant_id": str(contact.tenant_id)},
        )
    for staff in alerted:
        for alert_channel in ("email", "sms") if staff.phone else ("email",):
            schedule_nudge(
                uow,
                contact,
                "crisis_alert",
                f"crisis:{reply.reply_id}:{staff.staff_id}:{alert_channel}",
                now,
                variables={"client_ref": client_ref(contact.client_id)},
                subject_id=reply.reply_id,
                staff_id=staff.staff_id,
                channel=alert_channel,
            )


def _staff_to_alert(session, contact: Contact) -> list[StaffMember]:
    """The client's coach; with no active coach known, the organisation's admins."""
    if contact.coach_id is not None:
        coach = session.get(StaffMember, (contact.tenant_id, contact.coach_id))
        if coach is not None and coach.active:
            return [coach]
    return list(
        session.scalars(
            select(StaffMember)
            .where(
                StaffMember.tenant_id == contact.tenant_id,
                StaffMember.role == "org_admin",
                StaffMember.active.is_(True),
            )
            .order_by(StaffMember.staff_id)
            .limit(MAX_ADMINS_ALERTED)
        )
    )
