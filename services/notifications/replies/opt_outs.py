"""Leaving and coming back: SMS keywords and one-click unsubscribe.

Suppressing an address takes effect here at once; ``contact.opted_out`` /
``contact.opted_in`` tell intake, which owns consent, so its record follows.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from services.notifications import suppressions
from services.notifications.models import Contact
from services.notifications.nudges import schedule_nudge
from shared.db import UnitOfWork

# Every shipped language's keywords are read whatever the client's locale (a keyword
# comes before the number is matched to a record, and leaving must never depend on it).
# Spanish: the words US carriers and the big SMS providers honour (PARAR, ALTO, BAJA,
# CANCELAR; AYUDA), written with or without accents.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
    | {"BAJA", "ALTO", "PARAR", "PARA", "DETENER", "CANCELAR"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"} | {"ALTA", "INICIO", "COMENZAR", "REANUDAR"})
HELP_WORDS = frozenset({"HELP", "INFO"} | {"AYUDA"})
# The keywords that change consent, and so must be applied in the order they were sent.
CONSENT_KEYWORDS = ("stop", "start")


def keyword_of(body: str) -> str | None:
    word = _unaccented(body).strip().upper().rstrip(".!")
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def _unaccented(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def _announce(
    uow: UnitOfWork, event_type: str, contact: Contact, channel, method, now: datetime
) -> None:
    uow.publish(
        event_type,
        contact.tenant_id,
        {"client_id": contact.client_id, "channel": channel, "method": method, "occurred_at": now},
        aggregate_id=contact.client_id,
    )


def opt_out(
    uow: UnitOfWork, contact: Contact, channel: str, address: str, method: str, now: datetime
) -> bool:
    """Suppress the address; True (and the event) only the first time."""
    reason = "stop" if method == "sms_keyword" else "unsubscribe"
    if not suppressions.suppress(uow.session, contact.tenant_id, channel, address, reason):
        return False
    _announce(uow, "contact.opted_out", contact, channel, method, now)
    return True


def opt_in(uow: UnitOfWork, contact: Contact, channel: str, address: str, now: datetime) -> bool:
    if not suppressions.lift(uow.session, contact.tenant_id, channel, address):
        return False
    _announce(uow, "contact.opted_in", contact, channel, "sms_keyword", now)
    return True


def handle_keyword(
    uow: UnitOfWork,
    contact: Contact,
    keyword: str,
    message_sid: str,
    now: datetime,
    *,
    sent_at: datetime | None = None,
) -> None:
    """Act on one inbound keyword from one client's number, replying once.

    A STOP or START sent before the latest one acted on for this client is ignored, so
    the client's last word stands whatever order the texts arrive in (``sent_at`` is the
    provider's timestamp, or the receipt when it gives none).
    """
    sent_at = sent_at or now
    if keyword in CONSENT_KEYWORDS:
        if contact.last_keyword_at is not None and sent_at < contact.last_keyword_at:
            return
        contact.last_keyword_at = sent_at
    phone = contact.phone
    reply = None
    if keyword == "stop" and opt_out(uow, contact, "sms", phone, "sms_keyword", now):
        reply = "opt_out_confirmation"
    elif keyword == "start" and opt_in(uow, contact, "sms", phone, now):
        reply = "opt_in_confirmation"
    elif keyword == "help":
        reply = "help_reply"
    if reply:
        schedule_nudge(uow, contact, reply, f"inbound:{message_sid}", now, channel="sms")
