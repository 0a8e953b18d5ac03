"""The JSON views the plans API answers with, built from the rows it read."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.plans import actions, history, naming
from services.plans.models import ActionStep, JournalEntry, RecoveryPlan, Revision, TimelineEntry
from shared.localtime import WEEKDAYS, local_iso


def action_view(step: ActionStep, plan: RecoveryPlan, now: datetime) -> dict:
    """An action step with its schedule in the client's terms (weekday names, the plan's
    timezone) and its occurrences in time order, the overdue ones marked."""
    late = {o.id for o in actions.overdue(step, now)}
    return {
        "id": step.id,
        "goal_id": step.goal_id,
        "plan_id": step.plan_id,
        "title": step.title,
        "frequency": step.frequency,
        "due_at": step.due_at,
        "local_time": step.local_time,
        "weekdays": [WEEKDAYS[d] for d in step.weekdays] if step.weekdays else None,
        "start_date": step.start_date,
        "end_date": step.end_date,
        "timezone": plan.timezone,
        "reminder_lead_minutes": step.reminder_lead_minutes,
        "status": step.status,
        "overdue_count": len(late),
        "occurrences": [
            {
                "occurrence_key": o.occurrence_key,
                "due_at": o.due_at,
                "due_local": local_iso(o.due_at, plan.timezone),
                "status": o.status,
                "overdue": o.id in late,
                "completed_at": o.completed_at,
            }
            for o in sorted(step.occurrences, key=lambda o: o.due_at)
        ],
        "created_at": step.created_at,
    }


def timeline_view(
    revisions: list[Revision],
    nudges: list[TimelineEntry],
    replies: list[JournalEntry],
    names: dict[uuid.UUID, str],
) -> dict:
    """The plan's revisions, the nudges sent (or not) to its client and the client's
    replies, newest first, each with who acted by name (``names``: staff by id)."""
    items = [
        *(_revision_entry(r, names) for r in revisions),
        *(_nudge_entry(n) for n in nudges),
        *(_reply_entry(r) for r in replies),
    ]
    return {"items": sorted(items, key=lambda item: item["at"], reverse=True)}


def revision_view(r: Revision, names: dict[uuid.UUID, str]) -> dict:
    """A revision of the plan's history, with its actor's name beside the id."""
    return {
        "id": r.id,
        "created_at": r.created_at,
        "actor": r.actor,
        "actor_id": r.actor_id,
        "actor_name": naming.actor_name(r.actor, r.actor_id, names),
        "entity": r.entity,
        "entity_id": r.entity_id,
        "change": r.change,
        "fields": r.fields,
    }


def journal_entry_view(entry: JournalEntry, titles: dict[uuid.UUID, str]) -> dict:
    """A reply in the plan's journal, with the title of the step it names (if any)."""
    return {
        "id": entry.id,
        "received_at": entry.received_at,
        "channel": entry.channel,
        "intent": entry.intent,
        "text": entry.text,
        "rating": entry.rating,
        "action_id": entry.action_id,
        "action_title": titles.get(entry.action_id) if entry.action_id else None,
        "occurrence_key": entry.occurrence_key,
        "withdrawn_at": entry.withdrawn_at,
    }


def _revision_entry(r: Revision, names: dict[uuid.UUID, str]) -> dict:
    detail = {"actor": r.actor, "actor_id": history.plain(r.actor_id)}
    actor = naming.actor_name(r.actor, r.actor_id, names)
    return _entry(r.created_at, "revision", f"{r.entity} {r.change}", detail, actor)


def _nudge_entry(n: TimelineEntry) -> dict:
    outcome = n.event_type.removeprefix("notification.")
    detail = {"nudge_id": str(n.nudge_id), "reason": n.reason}
    return _entry(n.occurred_at, "nudge", f"{n.kind} {n.channel} {outcome}", detail, "system")


def _reply_entry(r: JournalEntry) -> dict:
    detail = {"reply_id": str(r.id), "rating": r.rating}
    summary = f"client replied by {r.channel}: {r.intent}"
    return _entry(r.received_at, "reply", summary, detail, "client")


def _entry(at: datetime, kind: str, summary: str, detail: dict, actor_name: str | None) -> dict:
    return {"at": at, "type": kind, "summary": summary, "actor_name": actor_name, "detail": detail}
