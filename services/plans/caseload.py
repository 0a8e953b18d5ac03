"""The caseload: one row per client the caller may see, who needs attention first.

A page is one statement, whatever its size: each client's current plan is picked with a
window function, and every figure of the row (last contact, next check-in, overdue
steps, latest wellbeing, the past week's completion) is a correlated subquery of it.

Who needs attention first (``attention``): a client with a crisis alert nobody has
acknowledged (0), then one with an acknowledged alert not yet resolved (1), both from
notifications' ``crisis_alert.*`` events (``crisis_alerts``); then a flagged plan (2);
then everyone else (3); within each, the longest without contact first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, case, func, or_, select

from services.plans.models import (
    ActionOccurrence,
    ActionStep,
    CheckIn,
    ClientProfile,
    CrisisAlertState,
    JournalEntry,
    RecoveryPlan,
    StaffMember,
)
from services.plans.profiles import display_name
from services.plans.scoping import OPEN_STATUSES
from shared.errors import Unprocessable
from shared.pagination import encode_position, read_position
from shared.principals import Principal

WEEK = timedelta(days=7)
_PLANS, _CHECKINS = RecoveryPlan.__table__, CheckIn.__table__
_STEPS, _OCCURRENCES = ActionStep.__table__, ActionOccurrence.__table__
_PROFILES, _STAFF = ClientProfile.__table__, StaffMember.__table__
_JOURNAL = JournalEntry.__table__
_ALERTS = CrisisAlertState.__table__
ALERT_STATES = {0: "open", 1: "acknowledged"}


def _later(first, second):
    """The later of two moments, either of which may be NULL (portable: no GREATEST)."""
    return case(
        (first.is_(None), second), (second.is_(None), first), (first > second, first), else_=second
    )


def _current_plans(principal: Principal, coach_id: uuid.UUID | None):
    """Each visible client's newest plan (re-onboarding drafts another)."""
    scope = [_PLANS.c.tenant_id == principal.tenant_id, _PLANS.c.erased_at.is_(None)]
    if principal.role != "org_admin":
        scope.append(_PLANS.c.coach_id == principal.staff_id)
    if coach_id is not None:
        scope.append(_PLANS.c.coach_id == coach_id)
    newest_first = func.row_number().over(
        partition_by=_PLANS.c.client_id, order_by=(_PLANS.c.created_at.desc(), _PLANS.c.id.desc())
    )
    return select(_PLANS, newest_first.label("newness")).where(*scope).subquery("plans")


def _rows(plans, now: datetime):
    checkins_of_plan = _CHECKINS.c.plan_id == plans.c.id
    occurrences_of_plan = and_(
        _OCCURRENCES.c.action_id == _STEPS.c.id, _STEPS.c.plan_id == plans.c.id
    )

    def occurrences(*where):
        return (
            select(func.count())
            .select_from(_OCCURRENCES, _STEPS)
            .where(occurrences_of_plan, *where)
            .scalar_subquery()
        )

    def latest_wellbeing(column):
        return (
            select(column)
            .where(checkins_of_plan, _CHECKINS.c.wellbeing.is_not(None))
            .order_by(_CHECKINS.c.starts_at.desc(), _CHECKINS.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    def latest_rating(column):
        return (
            select(column)
            .where(_JOURNAL.c.plan_id == plans.c.id, _JOURNAL.c.rating.is_not(None))
            .order_by(_JOURNAL.c.received_at.desc(), _JOURNAL.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    last_attended = (
        select(func.max(_CHECKINS.c.starts_at))
        .where(checkins_of_plan, _CHECKINS.c.status == "recorded", _CHECKINS.c.attended.is_(True))
        .scalar_subquery()
    )
    last_reply = (
        select(func.max(_JOURNAL.c.received_at))
        .where(_JOURNAL.c.plan_id == plans.c.id)
        .scalar_subquery()
    )
    # the last time the client was heard from: at a check-in, or by their own reply
    last_contact = _later(last_attended, last_reply)
    # 0: a crisis alert nobody acknowledged, 1: one acknowledged, not yet resolved
    crisis_alert = (
        select(func.min(case((_ALERTS.c.state == "open", 0), else_=1)))
        .where(
            _ALERTS.c.tenant_id == plans.c.tenant_id,
            _ALERTS.c.client_id == plans.c.client_id,
            _ALERTS.c.state != "resolved",
        )
        .scalar_subquery()
    )
    past_week = (
        _OCCURRENCES.c.due_at >= now - WEEK,
        _OCCURRENCES.c.due_at < now,
        _OCCURRENCES.c.status != "cancelled",
        _STEPS.c.status != "cancelled",
    )
    return (
        select(
            plans.c.client_id,
            plans.c.id.label("plan_id"),
            plans.c.status.label("plan_status"),
            plans.c.coach_id,
            plans.c.risk_flagged,
            plans.c.risk_reason,
            plans.c.review_due_on,
            # who needs attention first: an open crisis alert, one acknowledged, flagged,
            # then the longest without contact (a client never seen counts from the day
            # the plan was drafted)
            func.coalesce(crisis_alert, case((plans.c.risk_flagged.is_(True), 2), else_=3)).label(
                "attention"
            ),
            func.coalesce(last_contact, plans.c.created_at).label("quiet_since"),
            last_contact.label("last_contact_at"),
            select(func.min(_CHECKINS.c.starts_at))
            .where(
                checkins_of_plan, _CHECKINS.c.status == "scheduled", _CHECKINS.c.starts_at >= now
            )
            .scalar_subquery()
            .label("next_checkin_at"),
            occurrences(
                _STEPS.c.status == "open",
                _OCCURRENCES.c.status == "scheduled",
                _OCCURRENCES.c.due_at < now,
            ).label("overdue_actions"),
            latest_wellbeing(_CHECKINS.c.wellbeing).label("wellbeing"),
            latest_wellbeing(_CHECKINS.c.starts_at).label("wellbeing_at"),
            latest_rating(_JOURNAL.c.rating).label("rating"),
            latest_rating(_JOURNAL.c.received_at).label("rating_at"),
            occurrences(*past_week).label("week_due"),
            occurrences(*past_week, _OCCURRENCES.c.status == "completed").label("week_completed"),
            _PROFILES.c.given_name,
            _PROFILES.c.preferred_name,
            _PROFILES.c.family_name,
            _PROFILES.c.phone_confirmed_at,
            _STAFF.c.name.label("coach_name"),
        )
        .select_from(
            plans.outerjoin(
                _PROFILES,
                and_(
                    _PROFILES.c.tenant_id == plans.c.tenant_id,
                    _PROFILES.c.client_id == plans.c.client_id,
                ),
            ).outerjoin(
                _STAFF,
                and_(_STAFF.c.id == plans.c.coach_id, _STAFF.c.tenant_id == plans.c.tenant_id),
            )
        )
        .where(plans.c.newness == 1, plans.c.status.in_(OPEN_STATUSES))
    )


def caseload_page(
    connection: Connection,
    principal: Principal,
    now: datetime,
    *,
    coach_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    """A page of the caseload: clients with an open crisis alert first, then with one
    acknowledged but not resolved, then flagged ones, then the longest without contact."""
    rows = _rows(_current_plans(principal, coach_id), now).subquery("caseload")
    stmt = select(rows)
    if cursor:
        attention, quiet_since, client_id = _decode(cursor)
        stmt = stmt.where(
            or_(
                rows.c.attention > attention,
                and_(rows.c.attention == attention, rows.c.quiet_since > quiet_since),
                and_(
                    rows.c.attention == attention,
                    rows.c.quiet_since == quiet_since,
                    rows.c.client_id > client_id,
                ),
            )
        )
    stmt = stmt.order_by(rows.c.attention, rows.c.quiet_since, rows.c.client_id).limit(limit + 1)
    found = connection.execute(stmt).mappings().all()
    page = found[:limit]
    last = page[-1] if len(found) > limit else None
    return {
        "items": [_view(row, now) for row in page],
        "next_cursor": _encode(last) if last else None,
    }


def _view(row, now: datetime) -> dict:
    due, done = row["week_due"], row["week_completed"]
    points = [
        {"value": row["wellbeing"], "source": "checkin", "at": row["wellbeing_at"]},
        {"value": row["rating"], "source": "client", "at": row["rating_at"]},
    ]
    known = [point for point in points if point["value"] is not None]
    wellbeing = max(known, key=lambda point: point["at"]) if known else None
    return {
        "client_id": row["client_id"],
        "display_name": display_name(row["given_name"], row["preferred_name"], row["family_name"]),
        "coach_id": row["coach_id"],
        "coach_name": row["coach_name"],
        "plan_id": row["plan_id"],
        "plan_status": row["plan_status"],
        "risk_flagged": row["risk_flagged"],
        "risk_reason": row["risk_reason"],
        "crisis_alert": ALERT_STATES.get(row["attention"]),
        "phone_confirmed": row["phone_confirmed_at"] is not None,
        "last_contact_at": row["last_contact_at"],
        "next_checkin_at": row["next_checkin_at"],
        "overdue_actions": row["overdue_actions"],
        "latest_wellbeing": wellbeing,
        "week_completion": {
            "since": now - WEEK,
            "due": due,
            "completed": done,
            "rate": round(done / due, 3) if due else None,
        },
        "review_due_on": row["review_due_on"],
    }


def _encode(row) -> str:
    return encode_position(
        [row["attention"], row["quiet_since"].isoformat(), str(row["client_id"])]
    )


def _decode(cursor: str) -> tuple[int, datetime, uuid.UUID]:
    try:
        attention, quiet_since, client_id = read_position(cursor)
        moment = datetime.fromisoformat(quiet_since)
        if moment.tzinfo is None or attention not in (0, 1, 2, 3):
            raise ValueError("not a cursor of this list")
        return attention, moment, uuid.UUID(client_id)
    except (ValueError, TypeError) as exc:
        raise Unprocessable(
            "The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]}
        ) from exc
