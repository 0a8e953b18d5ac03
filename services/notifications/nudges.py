"""Scheduling nudges from events: one per (tenant, client, kind, occurrence).

The rules (consent, suppression, pause, quiet hours, cap, expiry) are applied when a
nudge falls due, by the dispatcher, so that they use the facts of that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from services.notifications import plan_projection
from services.notifications.contacts import PENDING_STATES, cancel_pending, upsert_contact
from services.notifications.kinds import KINDS
from services.notifications.models import Contact, Nudge
from services.notifications.quiet_hours import zone
from services.notifications.recurring import LocalSchedule, day_key, next_local_moment
from services.notifications.rules import address_of, channel_order
from services.notifications.weekly_digest import (
    DigestTime,
    shifted_by_weeks,
    week_key,
)
from shared.db import UnitOfWork
from shared.events import Envelope


def schedule_nudge(
    uow: UnitOfWork,
    contact: Contact,
    kind: str,
    occurrence_key: str,
    due_at: datetime,
    *,
    variables: dict | None = None,
    subject_id: uuid.UUID | None = None,
    subject_occurrence: str | None = None,
    event_at: datetime | None = None,
    staff_id: uuid.UUID | None = None,
    channel: str | None = None,
) -> Nudge | None:
    """Create the nudge unless it exists. None for a client who is no longer with us."""
    spec = KINDS[kind]
    if contact.status != "active" and not (spec.is_reply or spec.is_answer):
        return None
    existing = uow.session.scalar(
        select(Nudge).where(
            Nudge.tenant_id == contact.tenant_id,
            Nudge.client_id == contact.client_id,
            Nudge.kind == kind,
            Nudge.occurrence_key == occurrence_key,
        )
    )
    if existing is not None:
        return existing
    if channel is None and spec.audience == "client":
        consented = [c for c in channel_order(contact, spec.channels) if address_of(contact, c)]
        channel = consented[0] if consented else None
    elif spec.audience == "coach" and channel is None:
        channel = "email"
    nudge = Nudge(
        id=uuid.uuid4(),
        tenant_id=contact.tenant_id,
        client_id=contact.client_id,
        kind=kind,
        occurrence_key=occurrence_key,
        audience=spec.audience,
        staff_id=staff_id,
        subject_id=subject_id,
        subject_occurrence=subject_occurrence,
        event_at=event_at,
        priority=spec.priority,
        variables=variables or {},
        channel=channel,
        state="scheduled",
        due_at=due_at,
        attempts=0,
    )
    uow.session.add(nudge)
    uow.session.flush()
    return nudge


def _contact(uow: UnitOfWork, envelope: Envelope) -> Contact | None:
    return uow.session.get(Contact, (envelope.tenant_id, envelope.data["client_id"]))


def _pending_about(subject_id, occurrence: str | None):
    conditions = [Nudge.subject_id == subject_id]
    if occurrence is not None:
        conditions.append(Nudge.subject_occurrence == occurrence)
    return conditions


# -- client lifecycle ---------------------------------------------------------------------


def on_client_onboarded(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    contact = upsert_contact(uow, envelope)
    if contact.status == "discharged":
        contact.status = "active"  # onboarded again after a discharge
    # Keyed by the event: a redelivery sends nothing, a later re-onboarding welcomes again.
    schedule_nudge(uow, contact, "welcome", f"onboarding:{envelope.id}", now)
    schedule_weekly_digest(uow, contact, now)


def on_client_updated(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Keep the contact right; a client who moved timezone has their digest and mood prompt
    moved too."""
    known = _contact(uow, envelope)
    timezone = known.timezone if known is not None else None
    contact = upsert_contact(uow, envelope)
    if timezone is not None and contact.timezone != timezone:
        reschedule_pending_recurring(uow, contact, now)


# -- plans --------------------------------------------------------------------------------


def on_plan_activated(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    contact = _contact(uow, envelope)
    if contact is None:
        return
    data = envelope.data
    goal_count = data.get("goal_count")
    schedule_nudge(
        uow,
        contact,
        "plan_ready",
        f"plan:{data['plan_id']}",
        now,
        variables={"goal_count": goal_count} if goal_count is not None else {},
        subject_id=data["plan_id"],
    )


def on_goal_achieved(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    contact = _contact(uow, envelope)
    if contact is None:
        return
    data = envelope.data
    schedule_nudge(
        uow,
        contact,
        "goal_celebration",
        f"goal:{data['goal_id']}",
        now,
        variables={"goal_title": data["title"]},
        subject_id=data["goal_id"],
    )


def _local_label(moment: datetime, timezone: str, local: str | None) -> str:
    """How a message names the time: plans' ISO local time becomes "Tue 14 Apr, 10:00"."""
    at = moment.astimezone(zone(timezone))
    return at.strftime("%a %d %b, %H:%M") if not local or "T" in local else local


def on_action_scheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope)
    if contact is None or data["due_at"] is None:
        return
    due_at = data["due_at"]
    occurrence = data["occurrence_key"] or due_at.isoformat()
    schedule_nudge(
        uow,
        contact,
        "action_reminder",
        f"action:{data['action_id']}:{occurrence}:{due_at.isoformat()}",
        due_at - timedelta(minutes=data["reminder_lead_minutes"]),
        variables={
            "action_title": data["title"],
            "due_local": _local_label(due_at, data["timezone"], data["due_local"]),
        },
        subject_id=data["action_id"],
        subject_occurrence=occurrence,
        event_at=due_at,
    )


def on_action_rescheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Move the occurrence's pending reminder: cancel it, schedule one for the new time."""
    data = envelope.data
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        "rescheduled",
        *_pending_about(data["action_id"], data["occurrence_key"]),
    )
    on_action_scheduled(envelope, uow, now)


def on_action_closed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Completed or cancelled: one occurrence, or the whole step when the key is null."""
    data = envelope.data
    reason = "action_completed" if envelope.type == "action.completed" else "action_cancelled"
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        reason,
        *_pending_about(data["action_id"], data["occurrence_key"]),
    )


def on_checkin_scheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope)
    if contact is None:
        return
    starts_at = data["starts_at"]
    for lead in sorted(set(contact.checkin_reminder_leads or [])):
        schedule_nudge(
            uow,
            contact,
            "checkin_reminder",
            f"checkin:{data['checkin_id']}:{starts_at.isoformat()}:{lead}",
            starts_at - timedelta(minutes=int(lead)),
            variables={
                "starts_local": _local_label(starts_at, data["timezone"], data["starts_local"]),
                "mode": data["mode"].replace("_", " "),
                "duration_minutes": data["duration_minutes"],
            },
            subject_id=data["checkin_id"],
            event_at=starts_at,
        )


def on_checkin_rescheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        "rescheduled",
        Nudge.subject_id == data["checkin_id"],
    )
    on_checkin_scheduled(envelope, uow, now)


def on_checkin_closed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Recorded or cancelled: its reminders are no longer needed."""
    data = envelope.data
    reason = "checkin_recorded" if envelope.type == "checkin.recorded" else "checkin_cancelled"
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        reason,
        Nudge.subject_id == data["checkin_id"],
        Nudge.kind == "checkin_reminder",
    )


def on_checkin_missed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope)
    if contact is None:
        return
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        "checkin_missed",
        Nudge.subject_id == data["checkin_id"],
        Nudge.kind == "checkin_reminder",
    )
    schedule_nudge(
        uow,
        contact,
        "checkin_missed",
        f"checkin:{data['checkin_id']}",
        now,
        subject_id=data["checkin_id"],
    )


# -- recurring nudges: the weekly digest and mood prompts ---------------------------------

DIGEST = "weekly_digest"
MOOD_PROMPT = "mood_prompt"
# Facts are kept this long before a digest's week: room for a later change of weekday.
FACTS_MARGIN = timedelta(days=7)


def digest_time(contact: Contact) -> DigestTime | None:
    if contact.digest_weekday and contact.digest_local_time:
        return DigestTime(contact.digest_weekday, contact.digest_local_time)
    return None


def _digest_schedule(contact: Contact) -> LocalSchedule | None:
    when = digest_time(contact)
    return when.schedule if when else None


def mood_prompt_time(contact: Contact) -> LocalSchedule | None:
    if contact.mood_prompt_weekdays and contact.mood_prompt_local_time:
        return LocalSchedule(tuple(contact.mood_prompt_weekdays), contact.mood_prompt_local_time)
    return None


@dataclass(frozen=True)
class Recurrence:
    """A kind of nudge that recurs at the client's local weekdays and time."""

    kind: str
    schedule_of: Callable[[Contact], LocalSchedule | None]
    key_of: Callable[[datetime, str], str]  # one nudge per occurrence: the local week or day
    off_reason: str  # why the pending one is cancelled when the setting is cleared


RECURRENCES: dict[str, Recurrence] = {
    r.kind: r
    for r in (
        Recurrence(DIGEST, _digest_schedule, week_key, "digest_off"),
        Recurrence(MOOD_PROMPT, mood_prompt_time, day_key, "mood_prompts_off"),
    )
}


def _pending_of(uow: UnitOfWork, contact: Contact, kind: str) -> list[Nudge]:
    return list(
        uow.session.scalars(
            select(Nudge).where(
                Nudge.tenant_id == contact.tenant_id,
                Nudge.client_id == contact.client_id,
                Nudge.kind == kind,
                Nudge.state.in_(PENDING_STATES),
            )
        )
    )


def _occurrence(uow: UnitOfWork, contact: Contact, kind: str, key: str) -> Nudge | None:
    return uow.session.scalar(
        select(Nudge).where(
            Nudge.tenant_id == contact.tenant_id,
            Nudge.client_id == contact.client_id,
            Nudge.kind == kind,
            Nudge.occurrence_key == key,
        )
    )


def schedule_recurring(
    uow: UnitOfWork, contact: Contact, after: datetime, recurrence: Recurrence
) -> Nudge | None:
    """Keep the client's next nudge of a recurring kind pending, at their chosen local
    time after ``after``.

    One nudge per occurrence (its key: the local week of a digest, the local day of a mood
    prompt): a pending one of another occurrence is cancelled as ``rescheduled``, one
    cancelled earlier for the chosen occurrence is taken up again, and an occurrence whose
    nudge already went (or was held back for good) gives way to the next. A client without
    the setting, or no longer with us, keeps none pending.
    """
    kind = recurrence.kind
    when = recurrence.schedule_of(contact)
    pending = _pending_of(uow, contact, kind)
    if when is None or contact.status != "active":
        reason = recurrence.off_reason if when is None else "inactive"
        for nudge in pending:
            nudge.state, nudge.reason = "cancelled", reason
        return None
    moment = next_local_moment(after, contact.timezone, when)
    for _ in range(3):
        key = recurrence.key_of(moment, contact.timezone)
        nudge = _occurrence(uow, contact, kind, key)
        if nudge is None or nudge.state in (*PENDING_STATES, "cancelled"):
            break
        moment = next_local_moment(moment, contact.timezone, when)
    else:
        return None  # unreachable: the next occurrence but one is always free
    for other in pending:
        if other is not nudge:
            other.state, other.reason = "cancelled", "rescheduled"
    if nudge is None:
        return schedule_nudge(uow, contact, kind, key, moment, event_at=moment)
    nudge.state, nudge.reason, nudge.claimed_until = "scheduled", None, None
    nudge.due_at = nudge.event_at = moment
    return nudge


def schedule_weekly_digest(uow: UnitOfWork, contact: Contact, after: datetime) -> Nudge | None:
    """Keep the client's next weekly digest pending (see :func:`schedule_recurring`)."""
    return schedule_recurring(uow, contact, after, RECURRENCES[DIGEST])


def reschedule_pending_recurring(uow: UnitOfWork, contact: Contact, now: datetime) -> None:
    """A client who moved timezone has each pending recurring nudge moved to their new
    local time."""
    for recurrence in RECURRENCES.values():
        if _pending_of(uow, contact, recurrence.kind):
            schedule_recurring(uow, contact, now, recurrence)


def schedule_following(uow: UnitOfWork, done_with: list[Nudge], now: datetime) -> None:
    """Once a recurring nudge is done with (sent, skipped or held back for good), the next
    occurrence is scheduled; after a digest, plan facts no digest will speak of again are
    dropped."""
    for nudge in done_with:
        contact = uow.session.get(Contact, (nudge.tenant_id, nudge.client_id))
        recurrence = RECURRENCES.get(nudge.kind)
        if contact is None or recurrence is None:
            continue
        following = schedule_recurring(uow, contact, max(now, nudge.event_at or now), recurrence)
        if following is not None and nudge.kind == DIGEST:
            week_starts = shifted_by_weeks(following.due_at, contact.timezone, -1)
            plan_projection.forget_before(
                uow.session, contact.tenant_id, contact.client_id, week_starts - FACTS_MARGIN
            )


def on_mood_prompts_set(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """The coach set (or cleared) the client's mood prompts: the pending one follows.

    A late event (older than the setting kept) changes nothing: the coach's latest word
    stands whatever order the events arrive in."""
    contact = _contact(uow, envelope)
    if contact is None or contact.status == "erased":
        return
    if (
        contact.mood_prompts_set_at is not None
        and envelope.occurred_at < contact.mood_prompts_set_at
    ):
        return
    data = envelope.data
    contact.mood_prompt_weekdays = data["weekdays"]
    contact.mood_prompt_local_time = data["local_time"]
    contact.mood_prompts_set_at = envelope.occurred_at
    schedule_recurring(uow, contact, now, RECURRENCES[MOOD_PROMPT])


# -- coach alerts -------------------------------------------------------------------------


def client_ref(client_id) -> str:
    # Alerts name no client: the coach opens the plan to see who it is.
    return f"client {str(client_id)[:8]}"


def on_risk_flagged(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    if data["reason"] == "crisis_message":
        return  # the coach was alerted when the message came in (``replies``), not twice
    contact = _contact(uow, envelope) or _bare_contact(uow, envelope)
    schedule_nudge(
        uow,
        contact,
        "risk_alert",
        f"risk:{data['plan_id']}:{data['reason']}:{data['checkin_id'] or envelope.id}",
        now,
        variables={"client_ref": client_ref(data["client_id"]), "risk": _risk(data["reason"])},
        subject_id=data["plan_id"],
        staff_id=data["coach_id"],
    )


def on_review_due(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope) or _bare_contact(uow, envelope)
    due_on = data["review_due_on"]
    schedule_nudge(
        uow,
        contact,
        "review_due_alert",
        f"review:{data['plan_id']}:{due_on or envelope.id}",
        now,
        variables={
            "client_ref": client_ref(data["client_id"]),
            "review_due_on": due_on.isoformat() if due_on else "now",
        },
        subject_id=data["plan_id"],
        staff_id=data["coach_id"],
    )


def _risk(reason: str) -> str:
    return {"low_wellbeing": "low wellbeing", "missed_checkins": "missed check-ins"}.get(
        reason, reason.replace("_", " ")
    )


def _bare_contact(uow: UnitOfWork, envelope: Envelope) -> Contact:
    """An alert about a client intake has not told us of yet still reaches the coach."""
    contact = Contact(
        tenant_id=envelope.tenant_id,
        client_id=envelope.data["client_id"],
        given_name="",
        timezone="UTC",
        status="active",
    )
    uow.session.add(contact)
    uow.session.flush()
    return contact
