"""The plans scheduler (process ``plans-scheduler``): time-based work, one ``tick`` at a time.

Each tick: plans whose review is due emit ``plan.review_due``; check-ins not recorded in
time emit ``checkin.missed``; recurring action steps announce occurrences entering the
horizon. Every emission is committed with the state that marks it done, and rows are
claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so several schedulers emit each
event exactly once. Time comes from the runtime's clock, so tests step it by hand.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from services.plans import actions, checkins, history
from services.plans.lifecycle import lifecycle_payload
from services.plans.models import (
    CHECKIN_SCHEDULED,
    REVIEW_PENDING,
    STEP_RECURRING,
    ActionStep,
    CheckIn,
    OrganisationSettings,
    RecoveryPlan,
)
from services.plans.organisation_settings import DEFAULT_MISSED_CHECKIN_AFTER_MINUTES
from shared import liveness
from shared.db.time_arithmetic import plus_minutes
from shared.metrics import SCHEDULER_LAST_SUCCESS
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)


def _qualified(predicate: str, table: str) -> ColumnElement[bool]:
    """A partial index's predicate on ``table``'s columns, with its literals written out
    as the index has them, so that the planner can prove a claim matches the index (a
    bound parameter would hide that from a generic plan)."""
    words = predicate.split(" ")
    for column in ("status", "frequency", "review_due_emitted_at"):
        words = [f"{table}.{column}" if word == column else word for word in words]
    return text(" ".join(words))


_REVIEW_PENDING = _qualified(REVIEW_PENDING, "recovery_plans")
_CHECKIN_SCHEDULED = _qualified(CHECKIN_SCHEDULED, "checkins")
_STEP_RECURRING = _qualified(STEP_RECURRING, "action_steps")


class PlansScheduler:
    def __init__(self, runtime: ServiceRuntime, batch_size: int = 100):
        self.runtime = runtime
        self.batch_size = batch_size

    def tick(self) -> int:
        """Do every piece of due work once; return how many events were emitted."""
        now = self.runtime.clock()
        return self.reviews_due(now) + self.missed_checkins(now) + self.action_horizon(now)

    def reviews_due(self, now: datetime) -> int:
        """Plans whose review date has come in their own timezone, the oldest first."""
        emitted = 0
        with self.runtime.unit_of_work() as uow:
            plans = uow.session.scalars(
                select(RecoveryPlan)
                .where(_REVIEW_PENDING, _review_date_reached(uow.session, now))
                .order_by(RecoveryPlan.review_due_on, RecoveryPlan.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for plan in plans:
                plan.review_due_emitted_at = now
                history.record(uow.session, plan, None, "plan", plan.id, "review_due", {})
                uow.publish(
                    "plan.review_due", plan.tenant_id, lifecycle_payload(plan), aggregate_id=plan.id
                )
                emitted += 1
            uow.commit()
        return emitted

    def missed_checkins(self, now: datetime) -> int:
        """Check-ins not recorded by their end plus the organisation's grace, the ones
        missed longest ago first."""
        emitted = 0
        with self.runtime.unit_of_work() as uow:
            missed_at = plus_minutes(
                CheckIn.starts_at,
                CheckIn.duration_minutes
                + func.coalesce(
                    OrganisationSettings.missed_checkin_after_minutes,
                    DEFAULT_MISSED_CHECKIN_AFTER_MINUTES,
                ),
            )
            candidates = uow.session.scalars(
                select(CheckIn)
                .outerjoin(
                    OrganisationSettings, OrganisationSettings.tenant_id == CheckIn.tenant_id
                )
                .where(_CHECKIN_SCHEDULED, CheckIn.starts_at < now, missed_at <= now)
                .order_by(missed_at, CheckIn.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True, of=CheckIn)
            ).all()
            for checkin in candidates:
                # Lock the plan: "two missed in a row" must see the other scheduler's work.
                plan = uow.session.get(RecoveryPlan, checkin.plan_id, with_for_update=True)
                checkins.mark_missed(uow, checkin, plan, now)
                emitted += 1
            uow.commit()
        return emitted

    def action_horizon(self, now: datetime) -> int:
        emitted = 0
        with self.runtime.unit_of_work() as uow:
            steps = uow.session.scalars(
                select(ActionStep)
                .join(RecoveryPlan, RecoveryPlan.id == ActionStep.plan_id)
                .where(
                    _STEP_RECURRING,
                    RecoveryPlan.status.in_(actions.ANNOUNCING_PLAN_STATUSES),
                    ActionStep.scheduled_through < now + actions.HORIZON,
                )
                .order_by(ActionStep.scheduled_through, ActionStep.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True, of=ActionStep)
                # The batch's occurrences and plans in one query each, not two per step.
                .options(selectinload(ActionStep.occurrences))
            ).all()
            plans = {
                plan.id: plan
                for plan in uow.session.scalars(
                    select(RecoveryPlan).where(RecoveryPlan.id.in_({s.plan_id for s in steps}))
                )
            }
            for step in steps:
                emitted += actions.announce_due(uow, step, plans[step.plan_id], now)
            uow.commit()
        return emitted

    def run_until(self, stop: threading.Event) -> None:
        interval = self.runtime.settings.poll_interval_seconds
        log.info("scheduler started", extra={"service": self.runtime.name})
        while not stop.is_set():
            liveness.beat()
            try:
                self.tick()
                SCHEDULER_LAST_SUCCESS.labels(self.runtime.name).set_to_current_time()
            except Exception as exc:  # keep the loop alive; the next tick retries
                # The error's type only: a database error's text can carry personal data.
                log.error("scheduler tick failed", extra={"error": type(exc).__name__})
            stop.wait(max(interval, 1.0))
        log.info("scheduler stopped", extra={"service": self.runtime.name})


def _review_date_reached(session: Session, now: datetime) -> ColumnElement[bool]:
    """SQL: the plan's review date has come in the plan's own timezone at ``now``.

    A local date is within a day of the UTC date, so a review dated before yesterday
    (UTC) is due everywhere. For the dates from yesterday to tomorrow, the timezones of
    the plans waiting on one are read first and grouped by their local date now; each
    group's plans are due up to that date. So every row the claim takes is due, and a
    batch is never filled with plans whose day has not yet come where they live.
    """
    yesterday = (now - timedelta(days=1)).date()
    zones = session.scalars(
        select(RecoveryPlan.timezone)
        .where(
            _REVIEW_PENDING,
            RecoveryPlan.review_due_on >= yesterday,
            RecoveryPlan.review_due_on <= (now + timedelta(days=1)).date(),
        )
        .distinct()
    ).all()
    by_local_date: dict[date, list[str]] = {}
    for zone in zones:
        by_local_date.setdefault(now.astimezone(ZoneInfo(zone)).date(), []).append(zone)
    return or_(
        RecoveryPlan.review_due_on < yesterday,
        *(
            and_(RecoveryPlan.timezone.in_(group), RecoveryPlan.review_due_on <= local_date)
            for local_date, group in by_local_date.items()
        ),
        false(),
    )
