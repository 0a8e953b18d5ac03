"""Erasure (``client.erased``): remove a client's personal data from plans.

What holds personal data in plans and what erasure does with it:

- the client's profile (names, external reference): deleted;
- each plan: closed if still open (its steps, check-ins and mood prompts stop) and marked
  erased; its assessment ratings and measures, the report's notes, goal and step wording
  (from the client's aspirations), check-in notes and the values in the plan's history
  are cleared, the rows kept;
- the nudge timeline: its reasons are cleared;
- the journal: what the client wrote is cleared, and so is the text of any
  ``client.replied`` waiting in this service's outbox for a retry or parked as a dead
  letter;
- on SQLite, the write-ahead log is emptied once the erasure has committed.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import select, update

from services.plans import history, profiles
from services.plans.client_plans import plans_of_client
from services.plans.discharge import stop_pending_work
from services.plans.models import (
    ActionStep,
    CheckIn,
    Goal,
    JournalEntry,
    Outbox,
    RecoveryPlan,
    ReportNotes,
    Revision,
    TimelineEntry,
)
from shared.db import UnitOfWork
from shared.events import Event
from shared.messaging.topology import Topology

ERASED = "[erased]"


def erase_client(uow: UnitOfWork, event: Event) -> None:
    """Remove the client's personal data: name and reference, goal and step wording (from
    their aspirations), check-in notes, the report's notes, assessment ratings and
    measures, history values and nudge reasons."""
    tenant_id, client_id = event.tenant_id, event.data.client_id
    profiles.forget_client(uow, tenant_id, client_id)
    for plan in plans_of_client(uow, event):
        _erase_plan(uow, plan, event.occurred_at)
    uow.session.execute(
        update(TimelineEntry)
        .where(TimelineEntry.tenant_id == tenant_id, TimelineEntry.client_id == client_id)
        .values(reason=None)
    )
    erase_words(uow, tenant_id, client_id)
    uow.wipe_write_ahead_log_after_commit()


def _erase_plan(uow: UnitOfWork, plan: RecoveryPlan, erased_at: datetime) -> None:
    session = uow.session
    if plan.status not in ("completed", "closed"):
        plan.status = "closed"
        plan.closed_reason = "erased"
        stop_pending_work(uow, plan)
    plan.baseline_ratings = {}
    plan.latest_ratings = None
    plan.baseline_measures = plan.latest_measures = None
    plan.erased_at = erased_at
    session.execute(
        update(ReportNotes)
        .where(ReportNotes.plan_id == plan.id)
        .values(
            summary=None,
            recommendations=None,
            quoted_entries=None,
            version=ReportNotes.version + 1,
        )
    )
    session.execute(
        update(Goal)
        .where(Goal.plan_id == plan.id)
        .values(
            title=ERASED,
            description=None,
            measure_of_success=None,
            version=Goal.version + 1,
        )
    )
    session.execute(update(ActionStep).where(ActionStep.plan_id == plan.id).values(title=ERASED))
    session.execute(
        update(CheckIn)
        .where(CheckIn.plan_id == plan.id)
        .values(notes=None, obstacles=None, next_steps=None, goals_discussed=None)
    )
    session.execute(update(Revision).where(Revision.plan_id == plan.id).values(fields={}))
    history.record(session, plan, None, "plan", plan.id, "erased", {})


def erase_words(uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """Remove what the client wrote: from the journal, and from any ``client.replied``
    waiting in this service's outbox for a retry or parked as a dead letter."""
    uow.session.execute(
        update(JournalEntry)
        .where(JournalEntry.tenant_id == tenant_id, JournalEntry.client_id == client_id)
        .values(text=None)
    )
    held = uow.session.scalars(
        select(Outbox).where(
            Outbox.tenant_id == tenant_id,
            Outbox.routing_key.in_(
                (Topology.queue_name("plans"), Topology.dead_letter_queue_name("plans"))
            ),
        )
    )
    for row in held:
        envelope = json.loads(row.body)
        data = envelope.get("data") or {}
        if envelope.get("type") == "client.replied" and data.get("client_id") == str(client_id):
            data["text"] = None
            row.body = json.dumps(envelope).encode()
