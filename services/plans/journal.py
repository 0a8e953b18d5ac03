"""The client's own voice on the plan: replies from notifications (``client.replied``).

Every reply becomes a journal entry (what the coach reads in the plan's journal). A mood
rating is also a wellbeing point with source ``client``, and one of 3 or less flags the
plan as a low check-in does; a crisis message flags it (``crisis_message``); "done"
completes the occurrence the client was reminded of, with the usual ``action.completed``.
A Done the client takes back on their page (``action.completion_withdrawn``) reopens the
occurrence it completed (not one a coach completed), whichever of the two plans hears of
first; their Done said again afterwards (the same reply id) completes it again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.plans import actions
from services.plans.checkins import LOW_WELLBEING, raise_flag
from services.plans.models import ActionStep, JournalEntry, RecoveryPlan
from services.plans.scoping import OPEN_STATUSES
from shared.db import UnitOfWork
from shared.errors import Conflict, Unprocessable
from shared.events.data import ClientRepliedV1, CompletionWithdrawnV1

_NOT_YET_WRITTEN = datetime.max.replace(tzinfo=UTC)


def current_plan(plans: list[RecoveryPlan]) -> RecoveryPlan | None:
    """The client's newest open plan, else their newest plan."""
    candidates = [p for p in plans if p.status in OPEN_STATUSES] or plans
    # A plan drafted earlier in the same batch has no created_at yet: it is the newest.
    return max(candidates, key=lambda p: p.created_at or _NOT_YET_WRITTEN, default=None)


def record_reply(
    uow: UnitOfWork, tenant_id, data: ClientRepliedV1, plans: list[RecoveryPlan]
) -> None:
    """Keep the reply as a journal entry and act on what it says (once per reply id, or
    again for a Done said after it was taken back)."""
    entry = uow.session.get(JournalEntry, data.reply_id)
    if entry is not None:
        if _said_again(entry, data):
            entry.withdrawn_at, entry.received_at = None, data.received_at
            if not any(p.erased_at is not None for p in plans):
                _complete(uow, tenant_id, data, plans)
        elif entry.withdrawn_at is not None:
            # The Done taken back, heard of after its taking back: kept, not acted on.
            entry.received_at = data.received_at
        return
    plan = current_plan(plans)
    # A reply that arrives after the client was erased keeps no words.
    erased = any(p.erased_at is not None for p in plans)
    uow.session.add(
        JournalEntry(
            id=data.reply_id,
            tenant_id=tenant_id,
            client_id=data.client_id,
            plan_id=plan.id if plan is not None else None,
            channel=data.channel,
            intent=data.intent,
            text=None if erased else data.text,
            rating=data.rating,
            action_id=data.action_id,
            occurrence_key=data.occurrence_key,
            received_at=data.received_at,
        )
    )
    if plan is None or erased:
        return
    intent, reply_id = data.intent, data.reply_id
    if intent == "crisis":
        raise_flag(uow, plan, "crisis_message", reply_id=reply_id)
    elif intent == "mood" and data.rating is not None and data.rating <= LOW_WELLBEING:
        raise_flag(uow, plan, "low_wellbeing", reply_id=reply_id)
    elif intent == "done" and data.action_id is not None:
        _complete(uow, tenant_id, data, plans)


def _complete(uow: UnitOfWork, tenant_id, data: ClientRepliedV1, plans: list[RecoveryPlan]) -> None:
    """Complete the occurrence the client was reminded of. Already done, cancelled or
    gone: nothing more than the journal entry (the client's word is still kept)."""
    step = uow.session.get(ActionStep, data.action_id)
    plan = next((p for p in plans if step is not None and p.id == step.plan_id), None)
    if step is None or plan is None or step.tenant_id != tenant_id:
        return
    key = data.occurrence_key if step.frequency != "once" else None
    try:
        actions.finish_occurrence(
            uow, step, plan, key, "completed", None, data.received_at, data.reply_id
        )
    except (Conflict, Unprocessable):
        return


def _said_again(entry: JournalEntry, data: ClientRepliedV1) -> bool:
    """A Done taken back, then said again: the same reply id, received after the taking
    back (a redelivery of the first is older)."""
    return (
        entry.intent == "done"
        and entry.withdrawn_at is not None
        and data.received_at > entry.withdrawn_at
    )


def withdraw_done(
    uow: UnitOfWork, tenant_id, data: CompletionWithdrawnV1, plans: list[RecoveryPlan]
) -> None:
    """The client took back their Done ``reply_id``: reopen the occurrence it completed.
    Once: a second delivery finds the entry withdrawn already, and a taking back older
    than the Done (said again since) is not about it. An occurrence a coach completed
    stays as it is."""
    entry = uow.session.get(JournalEntry, data.reply_id)
    if entry is None:
        _withdrawn_before_heard(uow, tenant_id, data, plans)
        return
    if entry.tenant_id != tenant_id or entry.intent != "done" or entry.withdrawn_at is not None:
        return
    if data.withdrawn_at < entry.received_at:
        return
    entry.withdrawn_at = data.withdrawn_at
    step = uow.session.get(ActionStep, data.action_id)
    plan = next((p for p in plans if step is not None and p.id == step.plan_id), None)
    if step is None or plan is None or step.tenant_id != tenant_id or plan.erased_at is not None:
        return
    row = actions.completed_by(step, data.occurrence_key, data.reply_id)
    if row is not None:
        actions.reopen_occurrence(uow, step, plan, row, data.reply_id)


def _withdrawn_before_heard(
    uow: UnitOfWork, tenant_id, data: CompletionWithdrawnV1, plans: list[RecoveryPlan]
) -> None:
    """The taking back overtook its Done (the Done's delivery was retried): keep the Done,
    taken back, so that when it comes it completes nothing."""
    if any(p.erased_at is not None for p in plans):
        return
    plan = current_plan(plans)
    uow.session.add(
        JournalEntry(
            id=data.reply_id,
            tenant_id=tenant_id,
            client_id=data.client_id,
            plan_id=plan.id if plan is not None else None,
            channel="web",  # only the client's page takes a Done back
            intent="done",
            action_id=data.action_id,
            occurrence_key=data.occurrence_key,
            received_at=data.withdrawn_at,  # until the Done itself says when
            withdrawn_at=data.withdrawn_at,
        )
    )
