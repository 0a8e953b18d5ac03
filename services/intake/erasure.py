"""Erasure: remove a client's personal data from intake, keep an anonymous tombstone.

What holds personal data in intake and what erasure does with it:

- the client row: names, addresses, references and free text are cleared; the row stays
  (id, tenant, status, dates) so the audit trail still points somewhere;
- assessments (strengths, history, risk notes, ...): deleted;
- consent records and the audit trail hold no personal data: kept, as the record of who
  did what;
- the outbox: earlier events about the client (``client.referred``, ``client.updated``,
  ...) carry contact details. Published rows are kept (they show the client's event
  history) with ``data`` reduced to the client id; rows not yet published are deleted,
  since ``client.erased`` supersedes them and nobody should now receive the old details;
- idempotency records: stored answers that contain the client are replaced by a
  410 problem, so a replayed request never returns the erased details;
- on SQLite, the write-ahead log (which keeps the pages as they were) is emptied once the
  erasure has committed, and deleted content is zeroed (``secure_delete``).
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import delete, or_, select

from services.intake import audit
from services.intake.models import Assessment, Client, IdempotencyKey, Outbox
from shared.db import UnitOfWork
from shared.principals import Principal

ERASED = "erased"
CLEARED = (
    "preferred_name",
    "email",
    "phone",
    "external_reference",
    "referral_source",
    "discharge_reason",
)


def erase_client(uow: UnitOfWork, principal: Principal, client: Client) -> None:
    session = uow.session
    client.given_name = client.family_name = ERASED
    for name in CLEARED:
        setattr(client, name, None)
    client.preferred_channels = []
    client.consent_email = client.consent_sms = False
    client.phone_confirmed_at = client.phone_confirmation_as_of = None
    client.erased_at = uow.clock()
    session.execute(delete(Assessment).where(Assessment.client_id == client.id))
    _scrub_outbox(uow, client.id)
    _scrub_idempotency_answers(uow, principal.tenant_id, client.id)
    session.flush()
    audit.record(uow, client, "erased", [], principal.staff_id)
    uow.publish("client.erased", client.tenant_id, {"client_id": client.id}, aggregate_id=client.id)
    uow.wipe_write_ahead_log_after_commit()


def _scrub_outbox(uow: UnitOfWork, client_id: uuid.UUID) -> None:
    session = uow.session
    session.execute(
        delete(Outbox).where(Outbox.aggregate_id == str(client_id), Outbox.published_at.is_(None))
    )
    for row in session.scalars(select(Outbox).where(Outbox.aggregate_id == str(client_id))):
        envelope = json.loads(row.body)
        envelope["data"] = {"client_id": str(client_id), "redacted": True}
        row.body = json.dumps(envelope).encode()


def _scrub_idempotency_answers(uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID):
    marker = str(client_id).encode()
    records = uow.session.scalars(
        select(IdempotencyKey).where(
            # Keys are scoped to a member of the tenant ("<tenant>:<staff>"); a plain
            # tenant scope is what earlier versions stored.
            or_(
                IdempotencyKey.scope == str(tenant_id),
                IdempotencyKey.scope.startswith(f"{tenant_id}:", autoescape=True),
            ),
            IdempotencyKey.body.is_not(None),
        )
    )
    gone = {
        "type": "about:blank",
        "title": "Gone",
        "status": 410,
        "detail": "This answer concerned a client whose personal data was erased.",
    }
    for record in records:
        if marker in record.body:
            record.status = 410
            record.body = json.dumps(gone).encode()
            record.headers = {"Content-Type": "application/problem+json"}
