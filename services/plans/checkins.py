"""Check-ins: scheduling, recording (progress notes that stay in plans), missed
check-ins and the risk flags they raise."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import literal, select, tuple_

from services.plans import history, limits
from services.plans.models import CheckIn, RecoveryPlan, RiskFlag
from shared.db import UnitOfWork
from shared.errors import Conflict, Unprocessable
from shared.localtime import local_iso
from shared.principals import Principal

LOW_WELLBEING = 3

# Check-ins of a plan in these states are announced to notifications (reminders).
ANNOUNCED_PLAN_STATUSES = ("active", "under_review")


def payload(checkin: CheckIn, plan: RecoveryPlan) -> dict:
    return {
        "checkin_id": checkin.id,
        "plan_id": plan.id,
        "client_id": plan.client_id,
        "coach_id": plan.coach_id,
        "starts_at": checkin.starts_at,
        "starts_local": local_iso(checkin.starts_at, plan.timezone),
        "timezone": plan.timezone,
        "duration_minutes": checkin.duration_minutes,
        "mode": checkin.mode,
    }


def ends_at(checkin: CheckIn) -> datetime:
    return checkin.starts_at + timedelta(minutes=checkin.duration_minutes)


def schedule(uow: UnitOfWork, plan: RecoveryPlan, fields: dict, actor: Principal) -> CheckIn:
    limits.require_room_for_checkin(uow.session, plan)
    checkin = CheckIn(id=uuid.uuid4(), tenant_id=plan.tenant_id, plan_id=plan.id, **fields)
    checkin.status = "scheduled"
    uow.session.add(checkin)
    uow.session.flush()
    history.record(uow.session, plan, actor, "checkin", checkin.id, "scheduled", fields)
    if plan.status in ANNOUNCED_PLAN_STATUSES:
        announce(uow, checkin, plan)
    return checkin


def announce(uow: UnitOfWork, checkin: CheckIn, plan) -> None:
    """Tell notifications of a check-in: only once the plan is active, so nothing about
    a draft plan reaches the client (its check-ins are announced on activation)."""
    uow.publish("checkin.scheduled", plan.tenant_id, payload(checkin, plan), aggregate_id=plan.id)


def _require_scheduled(checkin: CheckIn) -> None:
    if checkin.status != "scheduled":
        raise Conflict(f"The check-in is {checkin.status}.")


def reschedule(uow, checkin: CheckIn, plan, fields: dict, actor: Principal) -> None:
    _require_scheduled(checkin)
    diff = history.apply_changes(checkin, fields)
    if diff:
        history.record(uow.session, plan, actor, "checkin", checkin.id, "rescheduled", diff)
    if diff and plan.status in ANNOUNCED_PLAN_STATUSES:
        uow.publish(
            "checkin.rescheduled", plan.tenant_id, payload(checkin, plan), aggregate_id=plan.id
        )


def cancel(uow, checkin: CheckIn, plan, actor: Principal) -> None:
    _require_scheduled(checkin)
    checkin.status = "cancelled"
    history.record(uow.session, plan, actor, "checkin", checkin.id, "cancelled", {})
    uow.publish("checkin.cancelled", plan.tenant_id, payload(checkin, plan), aggregate_id=plan.id)


def record(uow, checkin: CheckIn, plan, fields: dict, actor: Principal, now: datetime) -> None:
    """Record what happened; a missed check-in can still be recorded afterwards."""
    if checkin.status not in ("scheduled", "missed"):
        raise Conflict(f"The check-in is {checkin.status}.")
    goal_ids = {g.id for g in plan.goals}
    unknown = [str(g) for g in fields.get("goals_discussed", []) if g not in goal_ids]
    if unknown:
        raise Unprocessable(
            "Goals discussed must be goals of this plan.",
            errors={"goals_discussed": [f"Not a goal of this plan: {', '.join(unknown)}."]},
        )
    fields = dict(fields)
    fields["goals_discussed"] = [str(g) for g in fields.get("goals_discussed", [])]
    for name, value in fields.items():
        setattr(checkin, name, value)
    checkin.status = "recorded"
    checkin.recorded_at = now
    # Notes, obstacles and next steps stay out of the history's values: names only.
    history.record(
        uow.session,
        plan,
        actor,
        "checkin",
        checkin.id,
        "recorded",
        {
            "attended": checkin.attended,
            "wellbeing": checkin.wellbeing,
            "fields": sorted(name for name, v in fields.items() if v not in (None, [], "")),
        },
    )
    uow.publish(
        "checkin.recorded",
        plan.tenant_id,
        {
            "checkin_id": checkin.id,
            "plan_id": plan.id,
            "client_id": plan.client_id,
            "attended": checkin.attended,
            "wellbeing": checkin.wellbeing,
        },
        aggregate_id=plan.id,
    )
    if checkin.wellbeing is not None and checkin.wellbeing <= LOW_WELLBEING:
        raise_flag(uow, plan, "low_wellbeing", checkin)
    if not checkin.attended:
        flag_if_missed_twice(uow, plan, checkin)


def mark_missed(uow, checkin: CheckIn, plan: RecoveryPlan, now: datetime) -> None:
    """Called once per check-in by the scheduler (the status change guards it)."""
    checkin.status = "missed"
    checkin.missed_emitted_at = now
    history.record(uow.session, plan, None, "checkin", checkin.id, "missed", {})
    uow.publish(
        "checkin.missed",
        plan.tenant_id,
        {
            "checkin_id": checkin.id,
            "plan_id": plan.id,
            "client_id": plan.client_id,
            "coach_id": plan.coach_id,
            "starts_at": checkin.starts_at,
        },
        aggregate_id=plan.id,
    )
    flag_if_missed_twice(uow, plan, checkin)


def _not_attended(checkin: CheckIn) -> bool:
    return checkin.status == "missed" or (checkin.status == "recorded" and not checkin.attended)


def flag_if_missed_twice(uow, plan: RecoveryPlan, checkin: CheckIn) -> None:
    """Two concluded check-ins in a row not attended raise ``missed_checkins``, on the
    later of the two. Check-ins can conclude out of order (a coach records an earlier one
    late; two schedulers mark neighbours at once, each waiting on the plan's lock), so
    the neighbours on both sides are looked at: whichever of the pair concludes last
    raises the flag, and ``raise_flag`` keeps it to once."""
    uow.session.flush()
    if not _not_attended(checkin):
        return
    # One evaluation per plan at a time (a no-op where the scheduler holds it already):
    # the second of two neighbours concluding at once then sees the first.
    uow.session.execute(select(RecoveryPlan.id).where(RecoveryPlan.id == plan.id).with_for_update())
    concluded = (CheckIn.plan_id == plan.id, CheckIn.status.in_(("missed", "recorded")))
    position = tuple_(CheckIn.starts_at, CheckIn.id)
    here = tuple_(
        literal(checkin.starts_at, CheckIn.starts_at.type), literal(checkin.id, CheckIn.id.type)
    )
    before = uow.session.scalars(
        select(CheckIn)
        .where(*concluded, position < here)
        .order_by(CheckIn.starts_at.desc(), CheckIn.id.desc())
        .limit(1)
    ).first()
    after = uow.session.scalars(
        select(CheckIn)
        .where(*concluded, position > here)
        .order_by(CheckIn.starts_at, CheckIn.id)
        .limit(1)
    ).first()
    if before is not None and _not_attended(before):
        raise_flag(uow, plan, "missed_checkins", checkin)
    if after is not None and _not_attended(after):
        raise_flag(uow, plan, "missed_checkins", after)


CRISIS = "crisis_message"


def raise_flag(
    uow, plan: RecoveryPlan, reason: str, checkin: CheckIn | None = None, *, reply_id=None
) -> None:
    """Flag the plan and alert the coach, once per (reason, check-in or client reply)."""
    source_id = checkin.id if checkin is not None else reply_id
    exists = uow.session.scalar(
        select(RiskFlag.id).where(
            RiskFlag.plan_id == plan.id,
            RiskFlag.reason == reason,
            RiskFlag.checkin_id == source_id,
        )
    )
    if exists:
        return
    uow.session.add(
        RiskFlag(
            id=uuid.uuid4(),
            tenant_id=plan.tenant_id,
            plan_id=plan.id,
            reason=reason,
            checkin_id=source_id,
            created_at=uow.clock(),
        )
    )
    # A crisis stays the plan's reason until a coach acknowledges it: a milder flag after
    # it (a low rating, a missed check-in) must not hide it from the caseload.
    if not (plan.risk_flagged and plan.risk_reason == CRISIS and reason != CRISIS):
        plan.risk_reason = reason
    plan.risk_flagged = True
    source = {"checkin_id": checkin.id} if checkin is not None else {"reply_id": reply_id}
    history.record(
        uow.session,
        plan,
        None,
        "plan",
        plan.id,
        "risk_flagged",
        {"reason": reason, **source},
        at=uow.clock(),
    )
    uow.publish(
        "client.risk_flagged",
        plan.tenant_id,
        {
            "plan_id": plan.id,
            "client_id": plan.client_id,
            "coach_id": plan.coach_id,
            "reason": reason,
            "checkin_id": checkin.id if checkin is not None else None,
            "reply_id": reply_id,
        },
        aggregate_id=plan.id,
    )
