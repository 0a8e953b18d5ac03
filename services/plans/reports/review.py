"""The plan-review progress report: what a funder's plan review asks of a recovery
coach, gathered from plans' own tables into plain values (rendered afterwards, outside
any transaction, by ``report_rendering``).

Participant name and reference, coach and organisation come from intake's events; where
plans has not been told a name (an older client, a staff member created before plans
listened to staff events), the report shows the id instead.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.plans import scoping
from services.plans.limits import CHECKINS_LISTED, GOALS_PER_PLAN, NOTES_PER_REPORT
from services.plans.models import (
    CheckIn,
    ClientProfile,
    OrganisationProfile,
    RecoveryPlan,
    ReportNotes,
    StaffMember,
)
from services.plans.profiles import display_name
from services.plans.progress import Period, progress_of
from services.plans.reports import quotes as review_quotes
from services.plans.reports import risk as review_risk
from services.plans.reports.next_period import next_period_of
from shared.errors import Conflict
from shared.principals import Principal


def gather(
    session: Session,
    principal: Principal,
    plan_id: uuid.UUID,
    now: datetime,
    first: date | None = None,
    last: date | None = None,
) -> dict:
    """Everything the report shows, for the period ``first``..``last`` (default: the
    plan's life so far)."""
    plan = scoping.plan_for(session, principal, plan_id)
    if plan.erased_at is not None:
        raise Conflict("The client's personal data was erased; there is nothing to report.")
    period = Period.of(session, plan, now, first, last)
    progress = progress_of(session, plan, now, period)
    checkins = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.plan_id == plan.id,
            CheckIn.starts_at >= period.starts_at,
            CheckIn.starts_at < period.ends_at,
        )
        .order_by(CheckIn.starts_at)
    ).all()
    notes = session.get(ReportNotes, plan.id)
    with_notes = [c for c in checkins if c.notes or c.obstacles or c.next_steps]
    weeks = progress["weekly_completion"]
    goals = plan.goals[:GOALS_PER_PLAN]  # a plan that grew larger before the limit
    return {
        # a day, not the instant: what the report shows, and all a cached copy must match
        "prepared_on": now.astimezone(ZoneInfo(plan.timezone)).date(),
        "period": {"from": period.first, "to": period.last},
        "participant": _participant(session, plan),
        "coach": _coach(session, plan),
        "organisation": _organisation(session, plan.tenant_id),
        "plan": {
            "id": plan.id,
            "status": plan.status,
            "created_at": plan.created_at,
            "review_due_on": plan.review_due_on,
            "risk_flagged": plan.risk_flagged,
            "timezone": plan.timezone,
        },
        "goals": [_goal(goal, checkins) for goal in goals],
        "goals_not_shown": len(plan.goals) - len(goals),
        "attendance": _attendance(checkins, now),
        "hours_delivered": _hours_delivered(checkins),
        "checkins": [_checkin_line(c) for c in checkins[-CHECKINS_LISTED:]],
        "checkins_not_listed": max(0, len(checkins) - CHECKINS_LISTED),
        "checkin_notes": [_note(c, goals) for c in with_notes[-NOTES_PER_REPORT:]],
        "checkin_notes_not_shown": max(0, len(with_notes) - NOTES_PER_REPORT),
        "risk": review_risk.risk_of(session, plan, period),
        "quoted_entries": review_quotes.quoted(
            session, plan, notes.quoted_entries if notes else None
        ),
        "next_period": next_period_of(session, plan, now),
        "steps": {
            "due": sum(w["due"] for w in weeks),
            "completed": sum(w["completed"] for w in weeks),
        },
        "progress": progress,
        "domain_ratings": progress["domain_ratings"],
        "measures": _measures(plan),
        "notes": {
            "summary": notes.summary if notes else None,
            "recommendations": notes.recommendations if notes else None,
        },
    }


def _participant(session: Session, plan: RecoveryPlan) -> dict:
    profile = session.get(ClientProfile, (plan.tenant_id, plan.client_id))
    if profile is None:
        return {"name": None, "external_reference": None, "client_id": plan.client_id}
    full = " ".join(p for p in (profile.given_name, profile.family_name) if p) or None
    preferred = display_name(profile.given_name, profile.preferred_name, profile.family_name)
    return {
        "name": full,
        "preferred_name": profile.preferred_name if preferred != full else None,
        "external_reference": profile.external_reference,
        "client_id": plan.client_id,
    }


def _coach(session: Session, plan: RecoveryPlan) -> dict:
    member = session.get(StaffMember, plan.coach_id)
    name = member.name if member and member.tenant_id == plan.tenant_id else None
    return {"id": plan.coach_id, "name": name}


def _organisation(session: Session, tenant_id: uuid.UUID) -> dict:
    organisation = session.get(OrganisationProfile, tenant_id)
    return {"id": tenant_id, "name": organisation.name if organisation else None}


def _discussed(checkin: CheckIn) -> set[str]:
    return {str(g) for g in checkin.goals_discussed or ()}


def _goal(goal, checkins) -> dict:
    """A goal, and the days of the period's attended check-ins that discussed it (their
    notes are printed once, under the check-ins)."""
    return {
        "id": goal.id,
        "title": goal.title,
        "domain": goal.domain,
        "status": goal.status,
        "progress": goal.progress,
        "target_date": goal.target_date,
        "measure_of_success": goal.measure_of_success,
        "achieved_at": goal.achieved_at,
        "discussed_at": [c.starts_at for c in checkins if str(goal.id) in _discussed(c)],
    }


def _note(checkin: CheckIn, goals) -> dict:
    """A check-in's notes, with the goals it discussed named (those the report shows)."""
    topics = _discussed(checkin)
    return {
        "at": checkin.starts_at,
        "goals": [g.title for g in goals if str(g.id) in topics],
        "notes": checkin.notes,
        "obstacles": checkin.obstacles,
        "next_steps": checkin.next_steps,
    }


def _hours_delivered(checkins) -> float:
    """Hours of support delivered: the attended check-ins' durations."""
    minutes = sum(c.duration_minutes for c in checkins if c.status == "recorded" and c.attended)
    return round(minutes / 60, 2)


def _attendance(checkins, now: datetime) -> dict:
    attended = sum(1 for c in checkins if c.status == "recorded" and c.attended)
    missed = sum(
        1 for c in checkins if c.status == "missed" or (c.status == "recorded" and not c.attended)
    )
    return {
        "attended": attended,
        "missed": missed,
        "cancelled": sum(1 for c in checkins if c.status == "cancelled"),
        "upcoming": sum(1 for c in checkins if c.status == "scheduled" and c.starts_at >= now),
    }


def _checkin_line(checkin: CheckIn) -> dict:
    if checkin.status == "recorded":
        outcome = "attended" if checkin.attended else "missed"
    else:
        outcome = checkin.status
    return {
        "at": checkin.starts_at,
        "mode": checkin.mode,
        "duration_minutes": checkin.duration_minutes,
        "outcome": outcome,
        "wellbeing": checkin.wellbeing,
    }


def _measures(plan: RecoveryPlan) -> list[dict]:
    baseline, latest = plan.baseline_measures or {}, plan.latest_measures or {}
    return [
        {
            "name": label,
            "baseline": baseline.get(key),
            "latest": latest.get(key),
            "better": better,
        }
        for key, label, better in (
            ("k10", "K10 (psychological distress, 10-50)", "lower is better"),
            ("wemwbs", "WEMWBS (mental wellbeing, 14-70)", "higher is better"),
        )
    ]
