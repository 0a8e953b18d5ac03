"""Recording what a client answers from a signed link (see ``client_links``), as a text
message would be (``replies.record_reply``), once per reply id; and which client a link
still opens.

A link opens nothing, and nothing sent through it is recorded, once its client is erased
(or was never known), once the address it was sent to is no longer theirs, or once their
time with the service has ended (discharged): ``LinkClosed`` says which.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from services.notifications.client_web.links import (
    PageLink,
    ReplyLink,
    done_reply_id,
    still_addressed,
)
from services.notifications.client_web.view import can_undo, is_later_day, latest_done
from services.notifications.digest.models import PlannedStep
from services.notifications.models import Contact
from services.notifications.replies import recording as replies
from shared.db import UnitOfWork

log = logging.getLogger(__name__)


class LinkClosed(Exception):
    """A link well signed and in date that opens nothing now. ``why`` is "unknown" (no
    such client, or erased), "readdressed" (sent to an address that is no longer theirs)
    or "ended" (their time with the service has ended)."""

    def __init__(self, why: str, link: ReplyLink | PageLink):
        super().__init__(why)
        self.why = why
        self.link = link


def linked_client(session, secret: str, link: ReplyLink | PageLink) -> Contact:
    """The client the link opens, or ``LinkClosed``. The address is checked before the
    discharge, so a link in a mailbox the client has left tells nothing of them."""
    contact = session.get(Contact, (link.tenant_id, link.client_id))
    if contact is None or contact.status == "erased":
        raise LinkClosed("unknown", link)
    if not still_addressed(secret, link, contact.email):
        raise LinkClosed("readdressed", link)
    if contact.status != "active":
        raise LinkClosed("ended", link)
    return contact


def step_of(session, contact: Contact, action_id: uuid.UUID, key: str | None) -> PlannedStep | None:
    if key is None:
        return None
    step = session.get(PlannedStep, (contact.tenant_id, action_id, key))
    return step if step is not None and step.client_id == contact.client_id else None


# Builds the reply to record, in the recording's transaction; or says why there is none.
Answer = Callable[[object, Contact], "replies.ClientReply | str"]


@dataclass(frozen=True)
class Recorded:
    """``outcome`` is "recorded", "already" (recorded before, or the step is done already),
    "missing" (no such step) or "later" (a step of a later day, not done yet); ``reply``
    the reply when there was one."""

    outcome: str
    reply: replies.ClientReply | None = None


def record_answer(
    uow: UnitOfWork, secret: str, link: ReplyLink | PageLink, answer: Answer
) -> Recorded:
    """Record what ``answer`` builds for the link's client, in the unit of work ``uow``
    (new: opened and committed here); raises ``LinkClosed`` (recording nothing) when the
    link no longer opens anything. ``secret`` signs the service's links."""
    reply = None
    try:
        with uow:
            contact = linked_client(uow.session, secret, link)
            reply = answer(uow.session, contact)
            if not isinstance(reply, replies.ClientReply):
                return Recorded(reply)
            recorded = replies.record_reply(uow, contact, reply, uow.clock())
            uow.commit()
    except IntegrityError:
        # A double click raced the first, which recorded it.
        return Recorded("already", reply)
    if not recorded:
        return Recorded("already", reply)
    log.info(
        "client reply recorded",
        extra={"reply_id": str(reply.reply_id), "intent": reply.intent, "channel": reply.channel},
    )
    return Recorded("recorded", reply)


def done_answer(
    reply_id: uuid.UUID, channel: str, action_id: uuid.UUID, key: str | None, now: datetime
) -> Answer:
    """A step done; from the page, only a step the page shows."""

    def answer(session, contact: Contact):
        step = step_of(session, contact, action_id, key)
        if step is not None and step.status == "completed":
            return "already"
        if channel == "web" and (step is None or step.status == "cancelled"):
            return "missing"  # the page offers only the steps it shows
        if channel == "web" and is_later_day(step.due_at, now, contact.timezone):
            return "later"  # the page shows it, but it cannot be done yet
        return replies.ClientReply(
            reply_id,
            channel,
            now,
            "done",
            action_id=action_id,
            occurrence_key=key,
            action_title=step.title if step is not None else None,
        )

    return answer


def mood_answer(reply_id: uuid.UUID, channel: str, now: datetime, rating: int) -> Answer:
    return lambda _session, _contact: replies.ClientReply(
        reply_id, channel, now, "mood", rating=rating
    )


def undo_done(uow: UnitOfWork, secret: str, link: PageLink, action_id: uuid.UUID, key: str) -> bool:
    """Take back the client's latest Done, said within ``UNDO_WINDOW``: the step shows as
    not done here at once and can be marked again, and plans is told
    (``action.completion_withdrawn``) so that it reopens the occurrence that Done completed.
    False (and nothing changed) for any other Done. In the unit of work ``uow`` (new:
    opened and committed here)."""
    now = uow.clock()
    with uow:
        contact = linked_client(uow.session, secret, link)
        last = latest_done(uow.session, contact)
        if last is None or last.id != done_reply_id(contact.tenant_id, action_id, key):
            return False
        if not can_undo(last, now):
            return False
        step = step_of(uow.session, contact, action_id, key)
        if step is not None and step.status == "completed":
            step.status = "scheduled"
        uow.session.delete(last)
        _announce_withdrawn(uow, contact, last.id, action_id, key, now)
        uow.commit()
    log.info("client done taken back on the page", extra={"reply_id": str(last.id)})
    return True


def _announce_withdrawn(
    uow, contact: Contact, reply_id: uuid.UUID, action_id: uuid.UUID, key: str, now: datetime
) -> None:
    uow.publish(
        "action.completion_withdrawn",
        contact.tenant_id,
        {
            "reply_id": reply_id,
            "client_id": contact.client_id,
            "action_id": action_id,
            "occurrence_key": key,
            "withdrawn_at": now,
        },
        aggregate_id=contact.client_id,
    )
