"""The facts of a claimed batch: everything the rules and templates need, read at once."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.notifications import suppressions
from services.notifications.dispatcher.kind_content import gather_content
from services.notifications.models import Contact, Nudge, Organisation, StaffMember, Suppression
from services.notifications.replies.models import SenderNumber
from services.notifications.wording.kinds import KINDS, answers_client, counts_towards_cap
from services.notifications.wording.models import TemplateOverride
from shared.localtime import local_day_bounds

# Replies and answers to the client's own messages are not nudges: the cap ignores them.
ANSWER_KINDS = tuple(kind for kind in KINDS if answers_client(kind))
# What the daily cap does not count: answers and setup messages.
UNCAPPED_KINDS = tuple(kind for kind in KINDS if not counts_towards_cap(kind))


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
    overrides: dict[tuple, TemplateOverride]  # (tenant, kind, channel, locale)
    # Sends already decided in this batch, per client, for the daily cap.
    planned: Counter = field(default_factory=Counter)
    # Each hooked kind's facts, by nudge id (``kind_content``): a digest's week.
    content: dict[uuid.UUID, Any] = field(default_factory=dict)
    # Each organisation's own sending number, where it has one.
    sender_numbers: dict[uuid.UUID, str] = field(default_factory=dict)
    # The batch's phones that more than one record has (an unconfirmed one's texts carry
    # its confirmation code: ``reply_routing``).
    shared_phones: set[str] = field(default_factory=set)

    def overrides_for(self, tenant_id: uuid.UUID, kind: str, channel: str) -> dict:
        """The organisation's templates of a kind on a channel, by locale."""
        return {
            key[3]: override
            for key, override in self.overrides.items()
            if key[:3] == (tenant_id, kind, channel)
        }

    @classmethod
    def load(
        cls, session: Session, nudges: list[Nudge], now: datetime, leases_at: datetime
    ) -> Facts:
        """The facts of ``nudges`` at ``now``; ``leases_at``: the time on the leases'
        clock, to tell a live lease from one that ran out."""
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
        # A coach's alerts go to them; a client's messages may name their coach.
        staff_ids = {
            staff_id_of(n, contacts) for n in nudges if n.audience in ("coach", "client")
        } - {None}
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
                Nudge.kind.not_in(UNCAPPED_KINDS),
                or_(
                    (Nudge.state == "sent") & (Nudge.sent_at >= now - timedelta(hours=26)),
                    (Nudge.state == "sending")
                    & (Nudge.claimed_until >= leases_at)
                    & Nudge.id.not_in([n.id for n in nudges]),
                ),
            )
        ):
            sent.setdefault((tenant_id, client_id), []).append(sent_at or now)
        overrides = {
            (o.tenant_id, o.kind, o.channel, o.locale): o
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
        content = gather_content(
            session, nudges, {key: contact.timezone for key, contact in contacts.items()}, now
        )
        sender_numbers: dict[uuid.UUID, str] = {}
        for number in session.scalars(
            select(SenderNumber)
            .where(SenderNumber.tenant_id.in_(tenants))
            .order_by(SenderNumber.position.desc(), SenderNumber.number.desc())
        ):
            sender_numbers[number.tenant_id] = number.number  # the first position wins
        unconfirmed = {
            c.phone for c in contacts.values() if c.phone and c.phone_confirmed_at is None
        }
        shared_phones = (
            set(
                session.scalars(
                    select(Contact.phone)
                    .where(Contact.phone.in_(unconfirmed), Contact.status != "erased")
                    .group_by(Contact.phone)
                    .having(func.count() > 1)
                )
            )
            if unconfirmed
            else set()
        )
        return cls(
            now,
            contacts,
            organisations,
            staff,
            suppressed,
            sent,
            overrides,
            content=content,
            sender_numbers=sender_numbers,
            shared_phones=shared_phones,
        )

    def suppression_reason(self, tenant_id, channel: str, address: str) -> str | None:
        key = (tenant_id, channel, suppressions.address_hash(tenant_id, channel, address))
        return self.suppressions.get(key)

    def sent_today(self, contact: Contact) -> int:
        start, end = local_day_bounds(self.now, contact.timezone)
        key = (contact.tenant_id, contact.client_id)
        earlier = sum(1 for at in self.sent.get(key, ()) if start <= at < end)
        return earlier + self.planned[key]


def staff_id_of(nudge: Nudge, contacts: dict) -> uuid.UUID | None:
    """The staff member a coach's nudge goes to (its own, or the client's coach); for a
    client's nudge, their coach."""
    contact = contacts.get((nudge.tenant_id, nudge.client_id))
    return nudge.staff_id or (contact.coach_id if contact else None)
