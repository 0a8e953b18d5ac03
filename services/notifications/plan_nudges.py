"""Nudges for a client's plan, from plans' events: the plan ready, a goal reached, a step's
reminders, a check-in's reminders and a missed check-in. A step or check-in moved,
done or cancelled takes its pending reminders with it; a step's occurrence announced again
after it was done (the client took their Done back) brings its reminder back."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifications.contacts import cancel_pending, language_of
from services.notifications.models import Nudge
from services.notifications.nudges import contact_of, schedule_nudge
from services.notifications.wording.locales import (
    DEFAULT_LOCALE,
    N_,
    moment_label,
    translations,
)
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import (
    ActionOccurrenceV1,
    CheckInMissedV1,
    CheckInRecordedV1,
    CheckInV1,
    GoalV1,
    PlanActivatedV1,
)

# A check-in booked after one of its reminders' moments: that reminder is not sent hours
# late when a closer one is still to come.
LATE_NOTICE = timedelta(minutes=15)


def _pending_about(subject_id, occurrence: str | None):
    conditions = [Nudge.subject_id == subject_id]
    if occurrence is not None:
        conditions.append(Nudge.subject_occurrence == occurrence)
    return conditions


def on_plan_activated(event: Event[PlanActivatedV1], uow: UnitOfWork) -> None:
    contact = contact_of(uow, event)
    if contact is None:
        return
    data = event.data
    goal_count = data.goal_count
    schedule_nudge(
        uow,
        contact,
        "plan_ready",
        f"plan:{data.plan_id}",
        uow.clock(),
        variables={"goal_count": goal_count} if goal_count is not None else {},
        subject_id=data.plan_id,
    )


def on_goal_achieved(event: Event[GoalV1], uow: UnitOfWork) -> None:
    contact = contact_of(uow, event)
    if contact is None:
        return
    data = event.data
    schedule_nudge(
        uow,
        contact,
        "goal_celebration",
        f"goal:{data.goal_id}",
        uow.clock(),
        variables={"goal_title": data.title},
        subject_id=data.goal_id,
    )


# How a message names a check-in's mode, in each language.
_MODES = {"in_person": N_("in person"), "phone": N_("phone"), "video": N_("video")}


def _mode_in(mode: str, language: str) -> str:
    return translations(language).gettext(_MODES.get(mode, mode.replace("_", " ")))


def _local_label(moment: datetime, timezone: str, local: str | None, language: str) -> str:
    """How a message names the time, in the client's language: plans' ISO local time
    becomes "Tue 14 Apr, 10:00" ("mar 14 abr, 10:00"). Plans' own label is English."""
    if not local or "T" in local or language != DEFAULT_LOCALE:
        return moment_label(moment, timezone, language)
    return local


def on_action_scheduled(event: Event[ActionOccurrenceV1], uow: UnitOfWork) -> None:
    data = event.data
    contact = contact_of(uow, event)
    if contact is None or data.due_at is None:
        return
    due_at = data.due_at
    occurrence = data.occurrence_key or due_at.isoformat()
    reminder = schedule_nudge(
        uow,
        contact,
        "action_reminder",
        f"action:{data.action_id}:{occurrence}:{due_at.isoformat()}",
        due_at - timedelta(minutes=data.reminder_lead_minutes),
        variables={
            "action_title": data.title,
            "due_local": _local_label(
                due_at, data.timezone, data.due_local, language_of(uow.session, contact)
            ),
        },
        subject_id=data.action_id,
        subject_occurrence=occurrence,
        event_at=due_at,
    )
    if reminder is not None:
        _bring_back_if_reopened(reminder, uow.clock())


def _bring_back_if_reopened(reminder: Nudge, now: datetime) -> None:
    """An occurrence announced again after it was completed (the client took back their
    Done): its reminder, cancelled by the completion, comes back if still ahead."""
    completed = reminder.state == "cancelled" and reminder.reason == "action_completed"
    if completed and reminder.due_at > now:
        reminder.state, reminder.reason = "scheduled", None


def on_action_rescheduled(event: Event[ActionOccurrenceV1], uow: UnitOfWork) -> None:
    """Move the occurrence's pending reminder: cancel it, schedule one for the new time."""
    data = event.data
    cancel_pending(
        uow,
        event.tenant_id,
        data.client_id,
        "rescheduled",
        *_pending_about(data.action_id, data.occurrence_key),
    )
    on_action_scheduled(event, uow)


def on_action_closed(event: Event[ActionOccurrenceV1], uow: UnitOfWork) -> None:
    """Completed or cancelled: one occurrence, or the whole step when the key is null."""
    data = event.data
    reason = "action_completed" if event.type == "action.completed" else "action_cancelled"
    cancel_pending(
        uow,
        event.tenant_id,
        data.client_id,
        reason,
        *_pending_about(data.action_id, data.occurrence_key),
    )


def on_checkin_scheduled(event: Event[CheckInV1], uow: UnitOfWork) -> None:
    data = event.data
    contact = contact_of(uow, event)
    if contact is None:
        return
    starts_at = data.starts_at
    now = uow.clock()
    leads = sorted(set(contact.checkin_reminder_leads or []))
    late = [lead for lead in leads if starts_at - timedelta(minutes=lead) < now - LATE_NOTICE]
    for lead in leads:
        due = starts_at - timedelta(minutes=int(lead))
        if lead in late and (len(late) < len(leads) or lead != late[0]):
            continue  # booked too late for this notice: a closer reminder carries it
        schedule_nudge(
            uow,
            contact,
            "checkin_reminder",
            f"checkin:{data.checkin_id}:{starts_at.isoformat()}:{lead}",
            due,
            variables={
                "starts_local": _local_label(
                    starts_at,
                    data.timezone,
                    data.starts_local,
                    language_of(uow.session, contact),
                ),
                "mode": _mode_in(data.mode, language_of(uow.session, contact)),
                "duration_minutes": data.duration_minutes,
            },
            subject_id=data.checkin_id,
            event_at=starts_at,
        )


def on_checkin_rescheduled(event: Event[CheckInV1], uow: UnitOfWork) -> None:
    data = event.data
    cancel_pending(
        uow,
        event.tenant_id,
        data.client_id,
        "rescheduled",
        Nudge.subject_id == data.checkin_id,
    )
    on_checkin_scheduled(event, uow)


def on_checkin_closed(event: Event[CheckInRecordedV1 | CheckInV1], uow: UnitOfWork) -> None:
    """Recorded or cancelled: its reminders are no longer needed."""
    data = event.data
    reason = "checkin_recorded" if event.type == "checkin.recorded" else "checkin_cancelled"
    cancel_pending(
        uow,
        event.tenant_id,
        data.client_id,
        reason,
        Nudge.subject_id == data.checkin_id,
        Nudge.kind == "checkin_reminder",
    )


def on_checkin_missed(event: Event[CheckInMissedV1], uow: UnitOfWork) -> None:
    data = event.data
    contact = contact_of(uow, event)
    if contact is None:
        return
    cancel_pending(
        uow,
        event.tenant_id,
        data.client_id,
        "checkin_missed",
        Nudge.subject_id == data.checkin_id,
        Nudge.kind == "checkin_reminder",
    )
    schedule_nudge(
        uow,
        contact,
        "checkin_missed",
        f"checkin:{data.checkin_id}",
        uow.clock(),
        subject_id=data.checkin_id,
    )
