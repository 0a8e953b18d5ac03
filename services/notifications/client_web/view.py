"""What the client's own page (``client_pages``' ``/me/{token}``) shows them, read from
notifications' own tables: this week's steps (today's and earlier ones can be marked
done, later ones are only shown), the last Done they can still undo, their progress
(their open goals with how far along each is, goals reached and this week's steps done
of planned) and their coach's name. Their ratings are in ``client_ratings``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from services.notifications.client_web.links import done_reply_id
from services.notifications.contacts import language_of
from services.notifications.digest.models import AchievedGoal, ClientGoal, PlannedStep
from services.notifications.digest.weekly_digest import local_label
from services.notifications.models import Contact, StaffMember
from services.notifications.replies.models import ReceivedReply
from shared.localtime import zone

MAX_STEPS_SHOWN = 50
MAX_GOALS_SHOWN = 10
MAX_OPEN_GOALS_SHOWN = 30  # as many as a plan may have
# Goals still being worked on (plans' open statuses): shown with their progress.
OPEN_GOAL_STATUSES = ("proposed", "active", "on_hold")
# A Done can be taken back this long after it was said, if it is the client's latest.
UNDO_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class StepOnPage:
    title: str
    when: str
    action_id: uuid.UUID
    occurrence_key: str
    done: bool
    markable: bool  # today's or earlier: a later step cannot be said done yet
    undoable: bool = False


@dataclass(frozen=True)
class GoalOnPage:
    title: str
    progress: int  # percent, 0-100
    on_hold: bool


@dataclass(frozen=True)
class Progress:
    steps_done: int
    steps_planned: int
    goals_achieved: list[str]
    goals_open: list[GoalOnPage]


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(zone(timezone)).date()


def is_later_day(due_at: datetime, now: datetime, timezone: str) -> bool:
    """True for a step due on a day after the client's today."""
    return local_day(due_at, timezone) > local_day(now, timezone)


def week_of(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """This local week, Monday to Monday, in the client's timezone."""
    tz = zone(timezone)
    today = local_day(now, timezone)
    monday = today - timedelta(days=today.weekday())
    starts = datetime.combine(monday, time(0), tzinfo=tz)
    ends = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return starts, ends


def latest_done(session, contact: Contact) -> ReceivedReply | None:
    """The client's latest "done" reply, from any channel."""
    return session.scalar(
        select(ReceivedReply)
        .where(
            ReceivedReply.tenant_id == contact.tenant_id,
            ReceivedReply.client_id == contact.client_id,
            ReceivedReply.intent == "done",
        )
        .order_by(ReceivedReply.received_at.desc())
        .limit(1)
    )


def can_undo(reply: ReceivedReply | None, now: datetime) -> bool:
    return reply is not None and now - reply.received_at <= UNDO_WINDOW


def steps_of_week(session, contact: Contact, now: datetime) -> list[StepOnPage]:
    starts, ends = week_of(now, contact.timezone)
    steps = list(
        session.scalars(
            select(PlannedStep)
            .where(
                PlannedStep.tenant_id == contact.tenant_id,
                PlannedStep.client_id == contact.client_id,
                PlannedStep.due_at >= starts,
                PlannedStep.due_at < ends,
                PlannedStep.status != "cancelled",
            )
            .order_by(PlannedStep.due_at)
            .limit(MAX_STEPS_SHOWN)
        )
    )
    ids = {
        s.occurrence_key: done_reply_id(s.tenant_id, s.action_id, s.occurrence_key) for s in steps
    }
    # Done here a moment ago: plans has not confirmed it yet, but the client has said so.
    noted = (
        set(session.scalars(select(ReceivedReply.id).where(ReceivedReply.id.in_(ids.values()))))
        if ids
        else set()
    )
    last = latest_done(session, contact)
    undoable_id = last.id if can_undo(last, now) else None
    return [
        StepOnPage(
            title=s.title,
            when=local_label(s.due_at, contact.timezone, language_of(session, contact)),
            action_id=s.action_id,
            occurrence_key=s.occurrence_key,
            done=s.status == "completed" or ids[s.occurrence_key] in noted,
            markable=not is_later_day(s.due_at, now, contact.timezone),
            undoable=ids[s.occurrence_key] == undoable_id,
        )
        for s in steps
    ]


def progress_of(session, contact: Contact, steps: list[StepOnPage]) -> Progress:
    goals = session.scalars(
        select(AchievedGoal.title)
        .where(
            AchievedGoal.tenant_id == contact.tenant_id,
            AchievedGoal.client_id == contact.client_id,
        )
        .order_by(AchievedGoal.achieved_at.desc())
        .limit(MAX_GOALS_SHOWN)
    )
    return Progress(
        sum(1 for s in steps if s.done), len(steps), list(goals), open_goals(session, contact)
    )


def open_goals(session, contact: Contact) -> list[GoalOnPage]:
    """The client's goals still being worked on, as plans last announced them."""
    goals = session.scalars(
        select(ClientGoal)
        .where(
            ClientGoal.tenant_id == contact.tenant_id,
            ClientGoal.client_id == contact.client_id,
            ClientGoal.status.in_(OPEN_GOAL_STATUSES),
        )
        .order_by(ClientGoal.progress.desc(), ClientGoal.title)
        .limit(MAX_OPEN_GOALS_SHOWN)
    )
    return [GoalOnPage(g.title, max(0, min(100, g.progress)), g.status == "on_hold") for g in goals]


def coach_name(session, contact: Contact) -> str | None:
    """The name of the client's coach, when notifications knows them and they are active."""
    if contact.coach_id is None:
        return None
    coach = session.get(StaffMember, (contact.tenant_id, contact.coach_id))
    return coach.name if coach is not None and coach.active and coach.name else None
