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
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.plans import actions, checkins, history
from services.plans.lifecycle import lifecycle_payload
from services.plans.models import ActionStep, CheckIn, RecoveryPlan
from services.plans.organisation_settings import settings_of
from shared import liveness
from shared.metrics import SCHEDULER_LAST_SUCCESS
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)


class PlansScheduler:
    def __init__(self, runtime: ServiceRuntime, batch_size: int = 100):
        self.runtime = runtime
        self.batch_size = batch_size

    def tick(self) -> int:
        """Do every piece of due work once; return how many events were emitted."""
        now = self.runtime.clock()
        return self.reviews_due(now) + self.missed_checkins(now) + self.action_horizon(now)

    def reviews_due(self, now: datetime) -> int:
        emitted = 0
        with self.runtime.unit_of_work() as uow:
            # A day of slack covers every timezone; the local date decides below.
            plans = uow.session.scalars(
                select(RecoveryPlan)
                .where(
                    RecoveryPlan.status == "active",
                    RecoveryPlan.review_due_emitted_at.is_(None),
                    RecoveryPlan.review_due_on <= (now + timedelta(days=1)).date(),
                )
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for plan in plans:
                if now.astimezone(ZoneInfo(plan.timezone)).date() < plan.review_due_on:
                    continue
                plan.review_due_emitted_at = now
                history.record(uow.session, plan, None, "plan", plan.id, "review_due", {})
                uow.publish(
                    "plan.review_due", plan.tenant_id, lifecycle_payload(plan), aggregate_id=plan.id
                )
                emitted += 1
            uow.commit()
        return emitted

    def missed_checkins(self, now: datetime) -> int:
        emitted = 0
        with self.runtime.unit_of_work() as uow:
            candidates = uow.session.scalars(
                select(CheckIn)
                .where(CheckIn.status == "scheduled", CheckIn.starts_at < now)
                .order_by(CheckIn.starts_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for checkin in candidates:
                grace = settings_of(uow.session, checkin.tenant_id).missed_checkin_after_minutes
                if checkins.ends_at(checkin) + timedelta(minutes=grace) > now:
                    continue
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
                    ActionStep.status == "open",
                    ActionStep.frequency != "once",
                    RecoveryPlan.status.in_(actions.ANNOUNCING_PLAN_STATUSES),
                    ActionStep.scheduled_through < now + actions.HORIZON,
                )
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
