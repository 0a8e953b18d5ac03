"""Whose text is this: an inbound SMS goes only to the record its sender has confirmed.

The rule (``docs/decisions.md``, "Replies go to the record the person confirmed"):

- the number a text was sent **to** decides the organisations in play: an organisation's
  own sending number belongs to it alone; the shared number (``SMS_FROM``, or any number
  no organisation owns) serves every organisation without a number of its own;
- the number it came **from** picks that scope's records with that phone (the
  *candidates*);
- a record is **confirmed** by the person's own reply: the first reply confirms the only
  candidate; where there are several (organisations on the shared number, a family
  phone), a record is confirmed only by replying with the one-time code its texts carry
  ("Reply YES 4821 ..."), which moves the confirmation from any other candidate to it;
- a confirmed candidate receives everything the number texts until the person confirms
  another; with several unconfirmed candidates the text is **unrouted**: nothing is filed
  under, or alerts the coach of, a record its sender has not confirmed.

Keywords (STOP, START, HELP) act on every candidate of the scope, confirmed or not, as
carriers require of a sending number.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from services.notifications.models import Contact, Organisation
from services.notifications.replies.models import SenderNumber
from services.notifications.supporters.models import Supporter

# A number on more records than this in one scope is not routed at all (bounded work).
MAX_CANDIDATES = 50
# "YES 4821", "yes4821", "4821", "Yes, 4821."
# "YES 1234", Spanish "SÍ 1234" / "SI 1234", or the code alone.
_CODE_REPLY = re.compile(r"^\s*(?:(?:yes|s[ií])\W*)?(\d{4})\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Scope:
    """The organisations a text to ``to_number`` may belong to: one (its own number) or
    every organisation without a number of its own (``tenant_id`` None)."""

    to_number: str
    tenant_id: uuid.UUID | None


@dataclass(frozen=True)
class Routing:
    """Where a reply goes: ``contact`` (None: unrouted), why, and the candidates seen."""

    contact: Contact | None
    why: str  # confirmed, first_reply, code, unknown, unconfirmed
    candidates: tuple[Contact, ...]
    # The records that lost their confirmation to ``contact`` just now.
    displaced: tuple[Contact, ...] = ()

    @property
    def confirmed_now(self) -> bool:
        return self.why in ("first_reply", "code")


def new_code() -> str:
    return str(1000 + secrets.randbelow(9000))


def scope_of(session, to_number: str) -> Scope:
    number = (to_number or "").strip()
    owner = session.scalar(select(SenderNumber.tenant_id).where(SenderNumber.number == number))
    return Scope(number, owner)


def candidates_in(session, scope: Scope, phone: str, *, lock: bool = False) -> list[Contact]:
    """The scope's records with ``phone`` (erased ones never), oldest organisation first."""
    stmt = select(Contact).where(Contact.phone == phone, Contact.status != "erased")
    if scope.tenant_id is not None:
        stmt = stmt.where(Contact.tenant_id == scope.tenant_id)
    else:
        own_numbers = select(SenderNumber.tenant_id)
        stmt = stmt.where(Contact.tenant_id.not_in(own_numbers))
    stmt = stmt.order_by(Contact.tenant_id, Contact.client_id).limit(MAX_CANDIDATES)
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def supporters_texting(session, scope: Scope, phone: str) -> list:
    """A client's supporters with this number in the scope (not removed), when the number
    is no client's: their YES and STOP are their own (``supporters.inbound``)."""
    if not phone or candidates_in(session, scope, phone):
        return []
    stmt = select(Supporter).where(Supporter.phone == phone, Supporter.state != "removed")
    if scope.tenant_id is not None:
        stmt = stmt.where(Supporter.tenant_id == scope.tenant_id)
    else:
        stmt = stmt.where(Supporter.tenant_id.not_in(select(SenderNumber.tenant_id)))
    stmt = stmt.order_by(Supporter.invited_at).limit(MAX_CANDIDATES).with_for_update()
    return list(session.scalars(stmt))


def code_in(body: str) -> str | None:
    match = _CODE_REPLY.match(body or "")
    return match.group(1) if match else None


def route(
    session, scope: Scope, phone: str, body: str, now: datetime, *, confirm: bool = True
) -> Routing:
    """The record this text belongs to, confirming it where the rule says so (in the
    caller's transaction; ``confirm=False`` only looks). Candidates are locked on
    PostgreSQL so that two texts from one number are routed one after the other."""
    candidates = tuple(candidates_in(session, scope, phone, lock=True))
    if not candidates:
        return Routing(None, "unknown", candidates)
    code = code_in(body)
    if code is not None:
        chosen = [c for c in candidates if c.phone_code == code]
        if len(chosen) == 1:
            displaced = _confirm(chosen[0], candidates, now) if confirm else ()
            return Routing(chosen[0], "code", candidates, displaced)
    confirmed = [c for c in candidates if c.phone_confirmed_at is not None]
    if len(confirmed) == 1:
        return Routing(confirmed[0], "confirmed", candidates)
    if len(candidates) == 1 and not confirmed:
        if confirm:
            _confirm(candidates[0], candidates, now)
        return Routing(candidates[0], "first_reply", candidates)
    return Routing(None, "unconfirmed", candidates)


def _confirm(
    chosen: Contact, candidates: tuple[Contact, ...], now: datetime
) -> tuple[Contact, ...]:
    displaced = tuple(c for c in candidates if c is not chosen and c.phone_confirmed_at is not None)
    for other in displaced:
        other.phone_confirmed_at = None
    chosen.phone_confirmed_at = now
    return displaced


def phone_changed(contact: Contact, phone: str | None) -> None:
    """A new phone (or none) is unconfirmed, with a fresh code."""
    if phone == contact.phone and (contact.phone_code or not phone):
        return
    if phone != contact.phone:
        contact.phone_confirmed_at = None
    contact.phone_code = new_code() if phone else None


def set_sender_numbers(session, organisation: Organisation, numbers: list[str]) -> list[str]:
    """Replace the organisation's own numbers; a number another organisation owns raises
    ``NumberTaken``."""
    taken = session.scalars(
        select(SenderNumber).where(
            SenderNumber.number.in_(numbers), SenderNumber.tenant_id != organisation.tenant_id
        )
    ).first()
    if taken is not None:
        raise NumberTaken(taken.number)
    existing = {
        row.number: row
        for row in session.scalars(
            select(SenderNumber).where(SenderNumber.tenant_id == organisation.tenant_id)
        )
    }
    for number, row in existing.items():
        if number not in numbers:
            session.delete(row)
    for position, number in enumerate(numbers):
        row = existing.get(number)
        if row is None:
            session.add(
                SenderNumber(number=number, tenant_id=organisation.tenant_id, position=position)
            )
        else:
            row.position = position
    session.flush()
    return numbers


def sender_numbers_of(session, tenant_id: uuid.UUID) -> list[str]:
    return list(
        session.scalars(
            select(SenderNumber.number)
            .where(SenderNumber.tenant_id == tenant_id)
            .order_by(SenderNumber.position, SenderNumber.number)
        )
    )


class NumberTaken(Exception):
    def __init__(self, number: str):
        super().__init__(number)
        self.number = number
