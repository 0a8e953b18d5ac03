"""The JSON views the plans API answers with, built from the rows it read."""

from __future__ import annotations

from datetime import datetime

from services.plans import actions, history
from services.plans.models import ActionStep, JournalEntry, RecoveryPlan, Revision, TimelineEntry
from services.plans.recurrence import WEEKDAYS, local_iso


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
    revisions: list[Revision], nudges: list[TimelineEntry], replies: list[JournalEntry]
) -> dict:
    """The plan's revisions, the nudges sent (or not) to its client and the client's
    replies, newest first."""
    items = [
        *(_revision_entry(r) for r in revisions),
        *(_nudge_entry(n) for n in nudges),
        *(_reply_entry(r) for r in replies),
    ]
    return {"items": sorted(items, key=lambda item: item["at"], reverse=True)}


def _revision_entry(r: Revision) -> dict:
    detail = {"actor": r.actor, "actor_id": history.plain(r.actor_id)}
    return _entry(r.created_at, "revision", f"{r.entity} {r.change}", detail)


def _nudge_entry(n: TimelineEntry) -> dict:
    outcome = n.event_type.removeprefix("notification.")
    detail = {"nudge_id": str(n.nudge_id), "reason": n.reason}
    return _entry(n.occurred_at, "nudge", f"{n.kind} {n.channel} {outcome}", detail)


def _reply_entry(r: JournalEntry) -> dict:
    detail = {"reply_id": str(r.id), "rating": r.rating}
    return _entry(r.received_at, "reply", f"client replied by {r.channel}: {r.intent}", detail)


def _entry(at: datetime, kind: str, summary: str, detail: dict) -> dict:
    return {"at": at, "type": kind, "summary": summary, "detail": detail}
