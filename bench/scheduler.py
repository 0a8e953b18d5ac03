"""The plans scheduler's horizon: N active plans, each with a weekly step, a week on.

The plans, goals, steps and the occurrences of their first horizon are written directly
(as the scheduler left them a week ago); the clock then moves on seven days and the
scheduler ticks back to back, as a running one does each interval, until every step's
horizon has moved: one new occurrence and one ``action.scheduled`` outbox row per plan.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, insert, select

from bench.harness import Row, migrated_runtime, real_infrastructure

TIMEZONES = ("Australia/Sydney", "Pacific/Auckland")


def _store_plans(runtime, n: int, now: datetime) -> None:
    from services.plans import actions
    from services.plans.models import ActionOccurrence, ActionStep, Goal, RecoveryPlan
    from services.plans.recurrence import occurrences_between

    start = now.date() - timedelta(days=1)
    rows: dict[type, list[dict]] = {
        RecoveryPlan: [],
        Goal: [],
        ActionStep: [],
        ActionOccurrence: [],
    }
    first_week = {}
    for i in range(n):
        timezone = TIMEZONES[i % len(TIMEZONES)]
        tenant, plan, goal, step = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        rows[RecoveryPlan].append(
            {
                "id": plan,
                "tenant_id": tenant,
                "client_id": uuid.uuid4(),
                "coach_id": uuid.uuid4(),
                "status": "active",
                "timezone": timezone,
                "baseline_ratings": {"housing": 5},
                "assessment_version": 1,
                "source_event_id": uuid.uuid4(),
            }
        )
        rows[Goal].append(
            {
                "id": goal,
                "tenant_id": tenant,
                "plan_id": plan,
                "position": 1,
                "title": "Stable flat",
                "domain": "housing",
                "status": "active",
            }
        )
        step_row = {
            "id": step,
            "tenant_id": tenant,
            "plan_id": plan,
            "goal_id": goal,
            "title": "Call the housing officer",
            "frequency": "weekly",
            "local_time": "09:00",
            "weekdays": [i % 7],
            "start_date": start,
            "status": "open",
            "scheduled_through": now + actions.HORIZON,
        }
        rows[ActionStep].append(step_row)
        key = (timezone, i % 7)
        if key not in first_week:
            probe = ActionStep(**step_row)
            first_week[key] = occurrences_between(
                actions.rule_of(probe), timezone, now, now + actions.HORIZON
            )
        rows[ActionOccurrence] += [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant,
                "action_id": step,
                "occurrence_key": o.key,
                "due_at": o.due_at,
                "status": "scheduled",
            }
            for o in first_week[key]
        ]
    with runtime.session_factory() as session:
        for model, values in rows.items():
            for chunk in range(0, len(values), 5000):
                session.execute(insert(model), values[chunk : chunk + 5000])
        session.commit()


def bench_plans_scheduler(tmp: Path, n: int) -> list[Row]:
    from services.plans import actions
    from services.plans.models import ActionStep
    from services.plans.scheduler import PlansScheduler
    from shared.clock import FrozenClock

    with real_infrastructure(tmp) as (settings, _env):
        runtime = migrated_runtime("plans", settings)
        week_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)
        _store_plans(runtime, n, week_ago)
        now = week_ago + timedelta(days=7)
        runtime.clock = FrozenClock(now)
        scheduler = PlansScheduler(runtime)
        statements = 0

        def count(*_args):
            nonlocal statements
            statements += 1

        event.listen(runtime.engine, "before_cursor_execute", count)
        ticks = emitted = 0
        started = time.perf_counter()
        while True:
            announced = scheduler.tick()
            ticks += 1
            emitted += announced
            if not announced:
                break
        elapsed = time.perf_counter() - started
        event.remove(runtime.engine, "before_cursor_execute", count)
        with runtime.session_factory() as session:
            behind = session.scalar(
                select(func.count())
                .select_from(ActionStep)
                .where(ActionStep.scheduled_through < now + actions.HORIZON)
            )
        runtime.engine.dispose()
    if behind:
        raise RuntimeError(f"{behind} steps were left behind the horizon")
    notes = {
        "n": n,
        "ticks": ticks,
        "batch_size": scheduler.batch_size,
        "occurrences_announced": emitted,
        "statements": statements,
    }
    return [
        Row("plans-scheduler", "horizon a week on, all plans", elapsed, None, "", "s", notes),
        Row("plans-scheduler", "horizon, plans/s", n / elapsed, None, "", "plans/s"),
        Row("plans-scheduler", "seconds per tick (100 steps)", elapsed / ticks, None, "", "s"),
        Row("plans-scheduler", "statements per plan", statements / n, None, "", "statements"),
    ]
