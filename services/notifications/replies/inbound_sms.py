"""Inbound texts from the SMS provider: each acted on once, in the order they were sent.

A correctly signed request can be captured and sent again (the signature has no expiry),
and providers retry a webhook that timed out. So each message id is recorded in the
transaction that acts on it, and a repeat changes nothing; and a keyword older than the
client's latest one acted on is ignored (see ``opt_outs.handle_keyword``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.notifications.replies.models import InboundMessage

MESSAGE_SID_FIELDS = ("MessageSid", "SmsSid")
MAX_SID_LENGTH = 80
# Where providers put the moment a text was sent, when they do (Twilio does not on
# inbound messages; others send a UTC timestamp).
SENT_AT_FIELDS = ("DateSent", "Timestamp", "message-timestamp")
MAX_TIMESTAMP_LENGTH = 64

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def message_sid_of(form: Mapping[str, str]) -> str:
    """The provider's id of the message, or "" when it gave none."""
    for name in MESSAGE_SID_FIELDS:
        if form.get(name):
            return form[name].strip()[:MAX_SID_LENGTH]
    return ""


def sent_at_of(form: Mapping[str, str], received_at: datetime) -> datetime:
    """When the client sent the text: the provider's timestamp if it gives a readable one
    (RFC 2822 or ISO 8601; UTC if it names no zone), else when we received it. Never
    later than the receipt, so a provider clock running fast cannot hide later keywords.
    """
    for name in SENT_AT_FIELDS:
        sent_at = _timestamp(form.get(name) or "")
        if sent_at is not None:
            return min(sent_at, received_at)
    return received_at


def _timestamp(value: str) -> datetime | None:
    value = value.strip()
    if not value or len(value) > MAX_TIMESTAMP_LENGTH:
        return None
    for parse in (parsedate_to_datetime, datetime.fromisoformat):
        try:
            moment = parse(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def first_receipt(session: Session, message_sid: str, received_at: datetime) -> bool:
    """Record the message id; True only the first time it is seen.

    ``ON CONFLICT DO NOTHING``: a copy being handled by a concurrent request waits for
    that transaction and, once it commits, is seen as a repeat.
    """
    table = InboundMessage.__table__
    stmt = (
        _INSERTS[session.get_bind().dialect.name](table)
        .values(message_sid=message_sid, received_at=received_at)
        .on_conflict_do_nothing(index_elements=[table.c.message_sid])
        .returning(table.c.message_sid)
    )
    return session.execute(stmt).first() is not None
