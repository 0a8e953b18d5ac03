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
from services.notifications.client_web.ratings import keep_rating
from services.notifications.models import Contact, Nudge
from services.notifications.nudges import schedule_nudge
from services.notifications.replies import inbound_sms, opt_outs
from services.notifications.replies import routing as reply_routing
from services.notifications.replies.crisis_answers import (
    answer_crisis,
    answer_unrouted_crisis,
    crisis_text_for,
)
from services.notifications.replies.crisis_settings import crisis_settings_for
from services.notifications.replies.models import ReceivedReply
from services.notifications.replies.reading import MAX_TEXT_LENGTH, read_reply, says_done
from services.notifications.safety_plans.sections import asks_for_plan
from services.notifications.safety_plans.sms import answer_plan_request
from services.notifications.supporters.escalation import client_answered
from services.notifications.supporters.inbound import answer_supporter
from shared.db import UnitOfWork
from shared.events.payloads import phone_hash

log = logging.getLogger(__name__)

CHANNELS = ("sms", "email", "web")
INTENTS = ("crisis", "mood", "done", "journal")
# DONE counts for the action reminder sent (by SMS or email) within this long before it.
DONE_WINDOW = timedelta(hours=24)
# Read this much of a message (a crisis phrase late in a long text still counts).
MAX_READ_LENGTH = 10 * MAX_TEXT_LENGTH
# A self-rating this low is answered with a kind word and where to get help.
LOW_RATING = 3
ACKNOWLEDGEMENTS = {"mood": "mood_ack", "done": "done_ack", "journal": "journal_ack"}
_REPLY_NAMESPACE = uuid.UUID("6f1d2b8e-55c3-4c55-9a51-2f1f0e3c7a10")


@dataclass(frozen=True)
class ClientReply:
    """What a client said, in the shape of ``client.replied`` v1. ``text`` is kept for
    crisis and journal replies and a mood with words; ``action_title`` only words the
    acknowledgement."""

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


# -- what it means ----------------------------------------------------------------------------


def recent_reminder(session, contact: Contact, now: datetime) -> Nudge | None:
    """The last action reminder sent to the client within ``DONE_WINDOW``, by SMS or by
    email: "done" texted after an email reminder counts like after a text."""
    return session.scalar(
        select(Nudge)
        .where(
            Nudge.tenant_id == contact.tenant_id,
            Nudge.client_id == contact.client_id,
            Nudge.kind == "action_reminder",
            Nudge.state == "sent",
            Nudge.sent_at >= now - DONE_WINDOW,
        )
        .order_by(Nudge.sent_at.desc())
        .limit(1)
    )


def yes_means_done(session, contact: Contact | None, body: str, now: datetime) -> bool:
    """YES is both an opt-in keyword and a "done". It is "done" when the number is not
    suppressed (nothing to opt back in to) and was sent an action reminder (SMS or email) in the
    last 24 hours; otherwise it keeps its keyword meaning."""
    if contact is None or not contact.phone or not says_done(body):
        return False
    if suppressions.suppression_of(session, contact.tenant_id, "sms", contact.phone):
        return False
    return recent_reminder(session, contact, now) is not None


def read_sms(
    session, contact: Contact, body: str, reply_id: uuid.UUID, received_at: datetime
) -> ClientReply:
    """Read an inbound text in the order crisis, mood, done, journal. DONE with no action
    reminder sent in the last 24 hours is a journal entry."""
    phrases = crisis_settings_for(session, contact.tenant_id).phrases
    reading = read_reply(body[:MAX_READ_LENGTH], phrases)
    text = body.strip()[:MAX_TEXT_LENGTH]
    if reading.intent == "done":
        reminder = recent_reminder(session, contact, received_at)
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
    kept = text if reading.intent in ("crisis", "journal") or _has_words(text) else None
    return ClientReply(reply_id, "sms", received_at, reading.intent, reading.rating, text=kept)


def _has_words(text: str) -> bool:
    """ "6 bit tired today" says more than its number: the words are kept with it."""
    return any(character.isalpha() for character in text)


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
    if reply.intent == "mood" and reply.rating is not None:
        # Kept for the client's own page (their last weeks); erased with them.
        keep_rating(session, contact, reply.reply_id, reply.rating, reply.received_at)
    if reply.intent == "crisis":
        answer_crisis(uow, contact, reply.reply_id, reply.channel, reply.text, now)
    elif reply.channel == "sms":
        _acknowledge(uow, contact, reply, now)
    client_answered(uow, contact, reply.intent, now)  # escalation: all clear to supporters
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
            "text": reply.text if reply.intent in ("crisis", "journal", "mood") else None,
        },
        aggregate_id=contact.client_id,
    )
    return True


@dataclass(frozen=True)
class InboundText:
    """A text from the provider's webhook: its id, who sent it, to which of our numbers."""

    message_sid: str
    sender: str
    to_number: str
    body: str
    sent_at: datetime


def receive_sms(uow: UnitOfWork, text: InboundText) -> str:
    """Act on an inbound text once (a repeat of its id changes nothing): a keyword for
    every record of its scope, a confirmation code, or a reply for the record its sender
    confirmed (``reply_routing``). A crisis from a number no confirmed record has is
    still answered. Returns what it was, for the log: repeat, keyword, blank, confirmed,
    unrouted, or the reply's intent. In the unit of work ``uow`` (new: opened and
    committed here)."""
    now = uow.clock()
    try:
        with uow:
            outcome = _receive(uow, text, now)
            uow.commit()
    except IntegrityError:
        return "repeat"  # the provider's retry raced the first delivery, which acted on it
    log.info("inbound sms", extra={"outcome": outcome})
    return outcome


def _receive(uow: UnitOfWork, text: InboundText, now: datetime) -> str:
    session = uow.session
    if not inbound_sms.first_receipt(session, text.message_sid, now):
        return "repeat"
    scope = reply_routing.scope_of(session, text.to_number)
    supporters = reply_routing.supporters_texting(session, scope, text.sender)
    if supporters and (done := answer_supporter(uow, supporters, text.body, now)):
        return done
    keyword = opt_outs.keyword_of(text.body)
    if keyword is not None:
        peek = reply_routing.route(session, scope, text.sender, "", now, confirm=False)
        if not (keyword == "start" and yes_means_done(session, peek.contact, text.body, now)):
            for contact in reply_routing.candidates_in(session, scope, text.sender, lock=True):
                opt_outs.handle_keyword(
                    uow, contact, keyword, text.message_sid, now, sent_at=text.sent_at
                )
            return "keyword"
    if not text.body.strip():
        return "blank"  # a picture alone
    routing = reply_routing.route(session, scope, text.sender, text.body, now)
    contact = routing.contact
    if routing.confirmed_now:
        _announce_confirmation(uow, contact, True, now)
        for displaced in routing.displaced:
            _announce_confirmation(uow, displaced, False, now)
    if routing.why == "code":
        schedule_nudge(
            uow, contact, "phone_confirmed_ack", f"inbound:{text.message_sid}", now, channel="sms"
        )
        return "confirmed"
    reply_id = reply_id_for("sms", text.message_sid)
    if contact is None:
        tenant_id = scope.tenant_id
        phrases = crisis_settings_for(session, tenant_id).phrases if tenant_id else None
        reading = read_reply(text.body[:MAX_READ_LENGTH], *([phrases] if phrases else []))
        if reading.intent == "crisis":
            answer_unrouted_crisis(
                uow,
                scope,
                text.sender,
                text.body.strip()[:MAX_TEXT_LENGTH],
                routing.why,
                reply_id,
                now,
            )
        return "unrouted"
    if asks_for_plan(text.body):  # an answer, not a reply to record
        answer_plan_request(uow, contact, text.message_sid, now)
        return "safety_plan"
    reply = read_sms(session, contact, text.body, reply_id, now)
    record_reply(uow, contact, reply, now)
    return reply.intent


def _announce_confirmation(
    uow: UnitOfWork, contact: Contact, confirmed: bool, now: datetime
) -> None:
    """Intake's client view and plans' caseload show whether the phone is confirmed."""
    uow.publish(
        "contact.phone_confirmed",
        contact.tenant_id,
        {
            "client_id": contact.client_id,
            "confirmed": confirmed,
            "changed_at": now,
            "phone_hash": phone_hash(contact.tenant_id, contact.phone),
        },
        aggregate_id=contact.client_id,
    )


def _acknowledge(uow: UnitOfWork, contact: Contact, reply: ClientReply, now: datetime) -> None:
    variables = {}
    kind = ACKNOWLEDGEMENTS[reply.intent]
    if reply.intent == "mood":
        variables["rating"] = reply.rating
        if reply.rating is not None and reply.rating <= LOW_RATING:
            kind = "low_mood_ack"
            variables["crisis_text"] = crisis_text_for(uow.session, contact)
    elif reply.intent == "done":
        variables["action_title"] = reply.action_title or "your step"
    schedule_nudge(
        uow,
        contact,
        kind,
        f"reply:{reply.reply_id}",
        now,
        variables=variables,
        channel="sms",
    )
