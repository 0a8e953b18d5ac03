"""Events plans consumes: onboarding drafts a plan; client changes, discharge and erasure
keep plans right; notification outcomes fill the plan's nudge timeline."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from services.plans import actions, history, journal, profiles
from services.plans.drafting import adopt_drafted, draft_plan_from_onboarding, measures_of
from services.plans.models import (
    ActionStep,
    CheckIn,
    Goal,
    RecoveryPlan,
    ReportNotes,
    Revision,
    StaffAccess,
    TimelineEntry,
)
from shared.db import UnitOfWork
from shared.db.batch_keys import among
from shared.db.staff_access import record_access_change
from shared.events import Envelope
from shared.messaging.consumer import with_prefetch

ERASED = "[erased]"


def _known_plans(uow: UnitOfWork) -> dict[tuple, list[RecoveryPlan]]:
    """The plans of each client this transaction has looked at, drafted ones included."""
    return uow.session.info.setdefault("plans_by_client", {})


def load_plans_of_clients(uow: UnitOfWork, envelopes: list[Envelope]) -> None:
    """Read the plans of every client in a batch of events in one query.

    No autoflush here: the consumer handles events in batches, and letting the ORM write a
    whole batch's plans at commit (in a few multi-row INSERTs) is much cheaper than one
    round trip per event.
    """
    known = _known_plans(uow)
    # Not ``- known.keys()``: that hashes every key known, for each event of a batch.
    missing = {key for e in envelopes if (key := (e.tenant_id, e.data["client_id"])) not in known}
    if not missing:
        return
    for key in missing:
        known[key] = []
    stmt = select(RecoveryPlan).where(
        among(RecoveryPlan.tenant_id, {tenant for tenant, _ in missing}),
        among(RecoveryPlan.client_id, {client for _, client in missing}),
    )
    with uow.session.no_autoflush:
        for plan in uow.session.scalars(stmt):
            key = (plan.tenant_id, plan.client_id)
            if key in missing:
                known[key].append(plan)


def _plans_of_client(uow: UnitOfWork, envelope: Envelope) -> list[RecoveryPlan]:
    """The client's plans as ORM objects, a plan drafted earlier in this transaction too
    (so an update, discharge or erasure later in the same batch reaches it)."""
    load_plans_of_clients(uow, [envelope])
    key = (envelope.tenant_id, envelope.data["client_id"])
    plans = _known_plans(uow)[key]
    adopt_drafted(uow, key, plans)
    return plans


def load_clients_and_plans(uow: UnitOfWork, envelopes: list[Envelope]) -> None:
    """A batch's plans and client profiles, one query each."""
    load_plans_of_clients(uow, envelopes)
    profiles.load_client_profiles(uow, envelopes)


@with_prefetch(load_clients_and_plans)
def on_client_onboarded(envelope: Envelope, uow: UnitOfWork) -> None:
    """Draft a plan; the assessment becomes the newest one known for earlier plans too."""
    assessment = envelope.data["assessment"]
    plans = _plans_of_client(uow, envelope)
    for plan in plans:
        if assessment["version"] >= (plan.latest_assessment_version or plan.assessment_version):
            plan.latest_ratings = assessment["domain_ratings"]
            plan.latest_assessment_version = assessment["version"]
            plan.latest_measures = measures_of(assessment)
    draft_plan_from_onboarding(envelope, uow)  # written at commit, adopted if needed
    profiles.remember_client(uow, envelope)


@with_prefetch(load_clients_and_plans)
def on_client_updated(envelope: Envelope, uow: UnitOfWork) -> None:
    """Follow the client's coach and timezone (recurring steps keep their local time)."""
    data = envelope.data
    profiles.remember_client(uow, envelope)
    for plan in _plans_of_client(uow, envelope):
        previous_timezone = plan.timezone
        changes = {"timezone": data["contact"]["timezone"]}
        if data.get("coach_id"):
            changes["coach_id"] = data["coach_id"]
        diff = history.apply_changes(plan, changes)
        if diff:
            history.record(uow.session, plan, None, "plan", plan.id, "client_updated", diff)
        if "timezone" in diff:
            actions.follow_timezone(uow, plan, previous_timezone, envelope.occurred_at)


@with_prefetch(load_plans_of_clients)
def on_client_discharged(envelope: Envelope, uow: UnitOfWork) -> None:
    """Close open plans; their steps and check-ins stop (notifications cancels its nudges
    on the same event, so no per-step events are needed)."""
    for plan in _plans_of_client(uow, envelope):
        if plan.status in ("completed", "closed"):
            continue
        previous = plan.status
        plan.status = "closed"
        plan.closed_reason = "discharged"
        _stop_pending_work(uow, plan)
        history.record(
            uow.session,
            plan,
            None,
            "plan",
            plan.id,
            "closed",
            {"status": {"from": previous, "to": "closed"}, "reason": "discharged"},
        )


def _stop_pending_work(uow: UnitOfWork, plan: RecoveryPlan) -> None:
    # Notifications stops the mood prompts on the same discharge or erasure event.
    plan.mood_prompt_weekdays = plan.mood_prompt_local_time = None
    uow.session.execute(
        update(ActionStep)
        .where(ActionStep.plan_id == plan.id, ActionStep.status == "open")
        .values(status="cancelled", version=ActionStep.version + 1)
    )
    uow.session.execute(
        update(CheckIn)
        .where(CheckIn.plan_id == plan.id, CheckIn.status == "scheduled")
        .values(status="cancelled", version=CheckIn.version + 1)
    )


@with_prefetch(load_plans_of_clients)
def on_client_erased(envelope: Envelope, uow: UnitOfWork) -> None:
    """Remove the client's personal data: name and reference, goal and step wording (from
    their aspirations), check-in notes, the report's notes, assessment ratings and
    measures, history values and nudge reasons."""
    session = uow.session
    profiles.forget_client(uow, envelope.tenant_id, envelope.data["client_id"])
    for plan in _plans_of_client(uow, envelope):
        if plan.status not in ("completed", "closed"):
            plan.status = "closed"
            plan.closed_reason = "erased"
            _stop_pending_work(uow, plan)
        plan.baseline_ratings = {}
        plan.latest_ratings = None
        plan.baseline_measures = plan.latest_measures = None
        plan.erased_at = envelope.occurred_at
        session.execute(
            update(ReportNotes)
            .where(ReportNotes.plan_id == plan.id)
            .values(summary=None, recommendations=None, version=ReportNotes.version + 1)
        )
        session.execute(
            update(Goal)
            .where(Goal.plan_id == plan.id)
            .values(
                title=ERASED,
                description=None,
                measure_of_success=None,
                version=Goal.version + 1,
            )
        )
        session.execute(
            update(ActionStep).where(ActionStep.plan_id == plan.id).values(title=ERASED)
        )
        session.execute(
            update(CheckIn)
            .where(CheckIn.plan_id == plan.id)
            .values(notes=None, obstacles=None, next_steps=None, goals_discussed=None)
        )
        session.execute(update(Revision).where(Revision.plan_id == plan.id).values(fields={}))
        history.record(session, plan, None, "plan", plan.id, "erased", {})
    session.execute(
        update(TimelineEntry)
        .where(
            TimelineEntry.tenant_id == envelope.tenant_id,
            TimelineEntry.client_id == envelope.data["client_id"],
        )
        .values(reason=None)
    )
    journal.erase_words(uow, envelope.tenant_id, envelope.data["client_id"])
    uow.wipe_write_ahead_log_after_commit()


def on_notification_outcome(envelope: Envelope, uow: UnitOfWork) -> None:
    data = envelope.data
    uow.session.add(
        TimelineEntry(
            id=uuid.uuid4(),
            tenant_id=envelope.tenant_id,
            client_id=data["client_id"],
            event_type=envelope.type,
            nudge_id=data["nudge_id"],
            kind=data["kind"],
            channel=data["channel"],
            reason=data.get("reason"),
            occurred_at=envelope.occurred_at,
        )
    )


def on_staff_access_changed(envelope: Envelope, uow: UnitOfWork) -> None:
    """A key revoked, a member deactivated or given another role: their tokens follow."""
    record_access_change(uow.session, StaffAccess, envelope)


@with_prefetch(load_plans_of_clients)
def on_client_replied(envelope: Envelope, uow: UnitOfWork) -> None:
    """The client's reply: a journal entry, and a flag, a wellbeing point or a completed
    step as it says."""
    journal.record_reply(uow, envelope.tenant_id, envelope.data, _plans_of_client(uow, envelope))


HANDLERS = {
    "client.onboarded": on_client_onboarded,
    "client.updated": on_client_updated,
    "client.discharged": on_client_discharged,
    "client.erased": on_client_erased,
    "staff.created": profiles.on_staff_changed,
    "staff.updated": profiles.on_staff_changed,
    "notification.sent": on_notification_outcome,
    "notification.failed": on_notification_outcome,
    "staff.access_changed": on_staff_access_changed,
    "client.replied": on_client_replied,
}
