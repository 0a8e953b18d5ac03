"""Erasure (``client.erased``): remove a client's personal data from notifications.

What holds personal data here and what erasure does with it:

- the contact: names, addresses and consent are cleared; the row stays, marked
  ``erased``, so that a late event cannot bring the client back;
- nudges: the pending ones are cancelled; every message body and its variables go, the
  bare states stay (the organisation's admins still see what was sent when);
- the plan projection (what the weekly digest says) and the client's goals (for their
  own page): deleted;
- crisis alerts (the latest words, for the coach's alert page; how each ended): deleted;
- the client's ratings (for their own page): deleted;
- the client's supporters: deleted; the disclosure log keeps only what kind of message went
  when (no name, address, text or consent);
- the client's safety plan, every version of it: deleted;
- the outbox: what the client wrote (``client.replied`` text) is cleared, published or
  not; the events themselves stay, so plans still learns of a reply it has not seen;
- messages the embedded channels wrote to a local folder: deleted;
- SQLite's write-ahead log: wiped after the commit, so no earlier version of a row stays.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, select, update

from services.notifications.channels.file_outbox import forget_client
from services.notifications.client_web.models import ClientRating
from services.notifications.contacts import cancel_pending
from services.notifications.digest.models import (
    AchievedGoal,
    ClientGoal,
    PlannedCheckIn,
    PlannedStep,
)
from services.notifications.models import Contact, Nudge, Outbox
from services.notifications.replies.models import CrisisAlert
from services.notifications.safety_plans.store import forget as forget_safety_plan
from services.notifications.supporters.membership import erase_supporters
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import ClientErasedV1

ERASED_NAME = "[erased]"


def on_client_erased(
    event: Event[ClientErasedV1], uow: UnitOfWork, *, local_outbox: Path | None = None
) -> None:
    """Remove the client's personal data and every message body; keep bare nudge states.
    Messages the embedded channels wrote to ``local_outbox`` go too."""
    tenant_id, client_id = event.tenant_id, event.data.client_id
    _erase_contact(uow, tenant_id, client_id)
    cancel_pending(uow, tenant_id, client_id, "client_erased")
    _forget_plan(uow, tenant_id, client_id)
    forget_safety_plan(uow.session, tenant_id, client_id)
    uow.session.execute(  # what the client wrote in crisis, kept for the coach's alert page
        delete(CrisisAlert).where(
            CrisisAlert.tenant_id == tenant_id, CrisisAlert.client_id == client_id
        )
    )
    uow.session.execute(
        update(Nudge)
        .where(Nudge.tenant_id == tenant_id, Nudge.client_id == client_id)
        .values(body=None, variables=None)
        .execution_options(synchronize_session=False)
    )
    _erase_reply_texts(uow, client_id)
    erase_supporters(uow, tenant_id, client_id)  # and the disclosure log's personal data
    if local_outbox is not None:
        # Before the commit: should the commit fail, the retried event deletes nothing
        # more, and the files are gone either way, as the erasure means them to be.
        forget_client(local_outbox, client_id)
    uow.wipe_write_ahead_log_after_commit()


def _erase_contact(uow: UnitOfWork, tenant_id, client_id) -> None:
    contact = uow.session.get(Contact, (tenant_id, client_id))
    if contact is None:
        contact = Contact(tenant_id=tenant_id, client_id=client_id, timezone="UTC")
        uow.session.add(contact)
    contact.status = "erased"
    contact.given_name = ERASED_NAME
    contact.preferred_name = contact.family_name = None
    contact.email = None
    contact.phone = contact.phone_code = contact.phone_confirmed_at = None
    contact.consent_email = contact.consent_sms = False


def _forget_plan(uow: UnitOfWork, tenant_id, client_id) -> None:
    """Nothing of the client's plan stays in the plan projection, nor their goals and
    ratings."""
    for model in (PlannedStep, AchievedGoal, ClientGoal, PlannedCheckIn, ClientRating):
        uow.session.execute(
            delete(model)
            .where(model.tenant_id == tenant_id, model.client_id == client_id)
            .execution_options(synchronize_session=False)
        )


def _erase_reply_texts(uow: UnitOfWork, client_id) -> None:
    """What the client wrote (``client.replied`` text) goes from the outbox, published or
    not; the events themselves stay, so plans still learns of a reply it has not seen."""
    rows = uow.session.scalars(
        select(Outbox).where(
            Outbox.aggregate_id == str(client_id), Outbox.routing_key == "client.replied"
        )
    )
    for row in rows:
        envelope = json.loads(row.body)
        if envelope["data"].get("text") is not None:
            envelope["data"]["text"] = None
            row.body = json.dumps(envelope).encode()
