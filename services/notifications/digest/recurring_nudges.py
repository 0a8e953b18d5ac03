"""Recurring nudges: the weekly digest and mood prompts, each at the client's chosen local
weekdays and time, one pending at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from services.notifications.contacts import PENDING_STATES
from services.notifications.digest import plan_projection
from services.notifications.digest.recurring import LocalSchedule, day_key, next_local_moment
from services.notifications.digest.weekly_digest import DigestTime, shifted_by_weeks, week_key
from services.notifications.models import Contact, Nudge
from services.notifications.nudges import contact_of, schedule_nudge
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import MoodPromptsSetV1

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


def on_mood_prompts_set(event: Event[MoodPromptsSetV1], uow: UnitOfWork) -> None:
    """The coach set (or cleared) the client's mood prompts: the pending one follows.

    A late event (older than the setting kept) changes nothing: the coach's latest word
    stands whatever order the events arrive in."""
    contact = contact_of(uow, event)
    if contact is None or contact.status == "erased":
        return
    if contact.mood_prompts_set_at is not None and event.occurred_at < contact.mood_prompts_set_at:
        return
    data = event.data
    contact.mood_prompt_weekdays = data.weekdays
    contact.mood_prompt_local_time = data.local_time
    contact.mood_prompts_set_at = event.occurred_at
    schedule_recurring(uow, contact, uow.clock(), RECURRENCES[MOOD_PROMPT])
