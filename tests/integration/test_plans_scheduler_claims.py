"""The plans scheduler claims only what is due, oldest first: a batch is never filled
with plans whose review day has not yet come where they live, or with check-ins still
within their grace, while due ones wait behind them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from services.plans.models import CheckIn, OrganisationSettings, RecoveryPlan
from services.plans.scheduler import PlansScheduler
from shared.clock import FrozenClock

# 12:00 UTC: 08:00 in New York (1 July), 22:00 in Sydney, 02:00 on 2 July in Kiritimati.
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def _plan(session, timezone: str, review_due_on: date) -> uuid.UUID:
    plan = RecoveryPlan(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        client_id=uuid.uuid4(),
        coach_id=uuid.uuid4(),
        status="active",
        timezone=timezone,
        baseline_ratings={"housing": 5},
        assessment_version=1,
        review_due_on=review_due_on,
        source_event_id=uuid.uuid4(),
    )
    session.add(plan)
    session.flush()  # rows in this order on disk: what a LIMIT without ORDER BY returns
    return plan.id


def _reviewed(runtime) -> set[uuid.UUID]:
    with runtime.session_factory() as session:
        return set(
            session.scalars(
                select(RecoveryPlan.id).where(RecoveryPlan.review_due_emitted_at.is_not(None))
            )
        )


def test_reviews_due_tomorrow_where_the_client_lives_never_hold_back_those_due_today(
    plans_runtime,
):
    runtime = plans_runtime
    runtime.clock = FrozenClock(NOW)
    with runtime.session_factory() as session:
        # Due on 2 July in New York, where it is still 1 July: not yet, but within the
        # day of slack any timezone needs. More of them than a batch takes, first.
        tomorrow = [_plan(session, "America/New_York", date(2026, 7, 2)) for _ in range(5)]
        overdue = _plan(session, "Europe/London", date(2026, 6, 20))
        today_in_sydney = _plan(session, "Australia/Sydney", date(2026, 7, 1))
        today_in_kiritimati = _plan(session, "Pacific/Kiritimati", date(2026, 7, 2))
        session.commit()
    scheduler = PlansScheduler(runtime, batch_size=3)

    assert scheduler.reviews_due(NOW) == 3
    assert _reviewed(runtime) == {overdue, today_in_sydney, today_in_kiritimati}
    assert scheduler.reviews_due(NOW) == 0

    # 2 July, 08:00 in New York: their day has come.
    assert scheduler.reviews_due(NOW + timedelta(days=1)) == 3
    assert scheduler.reviews_due(NOW + timedelta(days=1)) == 2
    assert _reviewed(runtime) >= set(tomorrow)


def test_the_reviews_due_longest_ago_go_first(plans_runtime):
    runtime = plans_runtime
    with runtime.session_factory() as session:
        recent = _plan(session, "UTC", date(2026, 6, 30))
        oldest = _plan(session, "UTC", date(2026, 5, 1))
        older = _plan(session, "UTC", date(2026, 6, 1))
        session.commit()
    scheduler = PlansScheduler(runtime, batch_size=1)
    order = []
    for _ in range(3):
        before = _reviewed(runtime)
        assert scheduler.reviews_due(NOW) == 1
        order += _reviewed(runtime) - before
    assert order == [oldest, older, recent]


def _checkin(session, plan_id, tenant_id, starts_at, duration_minutes=30) -> uuid.UUID:
    checkin = CheckIn(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        plan_id=plan_id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        mode="video",
        status="scheduled",
    )
    session.add(checkin)
    session.flush()
    return checkin.id


def _missed(runtime) -> list[uuid.UUID]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(CheckIn.id).where(CheckIn.status == "missed")))


def test_check_ins_still_within_their_grace_never_hold_back_those_missed(plans_runtime):
    runtime = plans_runtime
    patient, strict = uuid.uuid4(), uuid.uuid4()
    with runtime.session_factory() as session:
        session.add(OrganisationSettings(tenant_id=patient, missed_checkin_after_minutes=600))
        session.add(OrganisationSettings(tenant_id=strict, missed_checkin_after_minutes=60))
        patient_plan = _plan(session, "UTC", date(2027, 1, 1))
        strict_plan = _plan(session, "UTC", date(2027, 1, 1))
        # Began earlier, but the patient organisation waits ten hours after the end.
        waiting = [
            _checkin(session, patient_plan, patient, NOW - timedelta(hours=5, minutes=i))
            for i in range(5)
        ]
        # Ended 90 minutes ago; the strict organisation counts it missed after 60.
        missed = _checkin(session, strict_plan, strict, NOW - timedelta(hours=2))
        # Two hours long, so it ended only 30 minutes ago.
        running_long = _checkin(
            session, strict_plan, strict, NOW - timedelta(hours=2, minutes=30), 120
        )
        session.commit()
    scheduler = PlansScheduler(runtime, batch_size=2)

    assert scheduler.missed_checkins(NOW) == 1
    assert _missed(runtime) == [missed]
    assert scheduler.missed_checkins(NOW + timedelta(minutes=30)) == 1
    assert set(_missed(runtime)) == {missed, running_long}
    # The one that began earliest is missed first: waiting[i] at 5 h 30 min - i min.
    later = NOW + timedelta(hours=5, minutes=28)
    assert scheduler.missed_checkins(later) == 2
    assert set(_missed(runtime)) == {missed, running_long, waiting[4], waiting[3]}
    assert scheduler.missed_checkins(later) == 1
    assert scheduler.missed_checkins(later) == 0
    assert set(_missed(runtime)) == {missed, running_long, *waiting[2:]}
