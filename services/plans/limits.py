"""How big a plan may grow, and how much of it one report draws: every limit in one place.

The numbers are generous for real coaching (a recovery plan usually has two to six goals,
each with a handful of steps, and a check-in every week or two) and small enough that the
largest plan still draws in a few seconds. Creating a goal, a step or a check-in beyond
its limit is a 422 naming the collection (``goals``, ``actions``, ``checkins``). Plans
that grew larger before the limits existed still report: the report draws the first
:data:`GOALS_PER_PLAN` goals and says how many it leaves out.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.plans.models import ActionStep, CheckIn, Goal, RecoveryPlan
from shared.errors import Unprocessable

# -- how big a plan may grow --------------------------------------------------------------
GOALS_PER_PLAN = 30  # every goal counts, achieved and cancelled ones too: the report shows them
STEPS_PER_GOAL = 20  # action steps of one goal, closed ones too
CHECKINS_PER_PLAN = 500  # scheduled, recorded, missed or cancelled: ten years of weekly ones

# -- text ---------------------------------------------------------------------------------
TITLE_LENGTH = 500  # a goal's or a step's title (an aspiration from intake becomes a title)
TEXT_LENGTH = 5000  # a goal's description and measure of success; check-in notes,
# obstacles and next steps
REPORT_NOTES_LENGTH = 10_000  # the coach's summary, and recommendations, for the report

# -- what one report draws ----------------------------------------------------------------
NOTES_PER_REPORT = 40  # check-in notes, the most recent, each printed once
QUOTES_PER_REPORT = 10  # journal entries the coach chooses for the report to quote
NEXT_PERIOD_WEEKS = 4  # the next period's plan: check-ins and steps this far ahead
CHECKINS_LISTED = 200  # rows of the report's check-in table, the most recent
GOALS_CHARTED = 12  # bars of the progress chart's goal panel


def documented() -> str:
    """The limits as the API's documentation states them (Markdown)."""
    return (
        "**Limits.** A plan has at most "
        f"{GOALS_PER_PLAN} goals, a goal at most {STEPS_PER_GOAL} action steps and a plan at "
        f"most {CHECKINS_PER_PLAN} check-ins (a 422 names `goals`, `actions` or `checkins` "
        f"beyond). Titles are at most {TITLE_LENGTH} characters; descriptions, measures of "
        f"success and check-in notes {TEXT_LENGTH}; the report's summary and recommendations "
        f"{REPORT_NOTES_LENGTH}. A report shows the {NOTES_PER_REPORT} most recent check-in "
        f"notes, quotes at most {QUOTES_PER_REPORT} journal entries, lists the "
        f"{CHECKINS_LISTED} most recent check-ins and charts {GOALS_CHARTED} goals, and says "
        "what it leaves out. "
        "Charts and reports are drawn a few at a time per server process, and one "
        "organisation holds at most half of those slots: beyond, a 503 with `Retry-After`."
    )


def _lock(session: Session, plan: RecoveryPlan) -> None:
    """Hold the plan's row until commit, so that two requests adding to it at once are
    counted one after the other (SQLite writes one at a time anyway)."""
    session.execute(select(RecoveryPlan.id).where(RecoveryPlan.id == plan.id).with_for_update())


def _require_room(session: Session, stmt, limit: int, field: str, rule: str) -> None:
    count = session.scalar(stmt)
    if count >= limit:
        raise Unprocessable(
            f"{rule}; this one is full.",
            errors={field: [f"{rule} (there are {count})."]},
        )


def require_room_for_goal(session: Session, plan: RecoveryPlan) -> None:
    """422 naming ``goals`` when the plan has :data:`GOALS_PER_PLAN` already."""
    _lock(session, plan)
    stmt = select(func.count()).select_from(Goal).where(Goal.plan_id == plan.id)
    _require_room(
        session, stmt, GOALS_PER_PLAN, "goals", f"A plan has at most {GOALS_PER_PLAN} goals"
    )


def require_room_for_step(session: Session, plan: RecoveryPlan, goal_id: uuid.UUID) -> None:
    """422 naming ``actions`` when the goal has :data:`STEPS_PER_GOAL` steps already."""
    _lock(session, plan)
    stmt = select(func.count()).select_from(ActionStep).where(ActionStep.goal_id == goal_id)
    _require_room(
        session, stmt, STEPS_PER_GOAL, "actions", f"A goal has at most {STEPS_PER_GOAL} steps"
    )


def require_room_for_checkin(session: Session, plan: RecoveryPlan) -> None:
    """422 naming ``checkins`` when the plan has :data:`CHECKINS_PER_PLAN` already."""
    _lock(session, plan)
    stmt = select(func.count()).select_from(CheckIn).where(CheckIn.plan_id == plan.id)
    rule = f"A plan has at most {CHECKINS_PER_PLAN} check-ins"
    _require_room(session, stmt, CHECKINS_PER_PLAN, "checkins", rule)
