"""Scheduling nudges from events: one per (tenant, client, kind, occurrence).

The rules (consent, suppression, pause, quiet hours, cap, expiry) are applied when a
nudge falls due, by the dispatcher, so that they use the facts of that moment.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from services.notifications import plan_projection
from services.notifications.contacts import PENDING_STATES, cancel_pending, upsert_contact
from services.notifications.kinds import KINDS
from services.notifications.models import Contact, Nudge
from services.notifications.quiet_hours import zone
from services.notifications.rules import address_of, channel_order
from services.notifications.weekly_digest import (
    DigestTime,
    next_digest_at,
    shifted_by_weeks,
    week_key,
)
from shared.db import UnitOfWork
from shared.events import Envelope


def schedule_nudge(
    uow: UnitOfWork,
    contact: Contact,
    kind: str,
    occurrence_key: str,
    due_at: datetime,
    *,
    variables: dict | None = None,
    subject_id: uuid.UUID | None = None,
    subject_occurrence: str | None = None,
    event_at: datetime | None = None,
    staff_id: uuid.UUID | None = None,
    channel: str | None = None,
) -> Nudge | None:
    """Create the nudge unless it exists. None for a client who is no longer with us."""
    spec = KINDS[kind]
    if contact.status != "active" and not (spec.is_reply or spec.is_answer):
        return None
    existing = uow.session.scalar(
        select(Nudge).where(
            Nudge.tenant_id == contact.tenant_id,
            Nudge.client_id == contact.client_id,
            Nudge.kind == kind,
            Nudge.occurrence_key == occurrence_key,
        )
    )
    if existing is not None:
        return existing
    if channel is None and spec.audience == "client":
        consented = [c for c in channel_order(contact, spec.channels) if address_of(contact, c)]
        channel = consented[0] if consented else None
    elif spec.audience == "coach" and channel is None:
        channel = "email"
    nudge = Nudge(
        id=uuid.uuid4(),
        tenant_id=contact.tenant_id,
        client_id=contact.client_id,
        kind=kind,
        occurrence_key=occurrence_key,
        audience=spec.audience,
        staff_id=staff_id,
        subject_id=subject_id,
        subject_occurrence=subject_occurrence,
        event_at=event_at,
        priority=spec.priority,
        variables=variables or {},
        channel=channel,
        state="scheduled",
        due_at=due_at,
        attempts=0,
    )
    uow.session.add(nudge)
    uow.session.flush()
    return nudge


def _contact(uow: UnitOfWork, envelope: Envelope) -> Contact | None:
    return uow.session.get(Contact, (envelope.tenant_id, envelope.data["client_id"]))


def _pending_about(subject_id, occurrence: str | None):
    conditions = [Nudge.subject_id == subject_id]
    if occurrence is not None:
        conditions.append(Nudge.subject_occurrence == occurrence)
    return conditions


# -- client lifecycle ---------------------------------------------------------------------


def on_client_onboarded(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    contact = upsert_contact(uow, envelope)
    if contact.status == "discharged":
        contact.status = "active"  # onboarded again after a discharge
    # Keyed by the event: a redelivery sends nothing, a later re-onboarding welcomes again.
    schedule_nudge(uow, contact, "welcome", f"onboarding:{envelope.id}", now)
    schedule_weekly_digest(uow, contact, now)


def on_client_updated(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Keep the contact right; a client who moved timezone has their digest moved too."""
    known = _contact(uow, envelope)
    timezone = known.timezone if known is not None else None
    contact = upsert_contact(uow, envelope)
    if timezone is not None and contact.timezone != timezone and _pending_digests(uow, contact):
        schedule_weekly_digest(uow, contact, now)


# -- plans --------------------------------------------------------------------------------


def on_plan_activated(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    contact = _contact(uow, envelope)
    if contact is None:
        return
    data = envelope.data
    goal_count = data.get("goal_count")
    schedule_nudge(
        uow,
        contact,
        "plan_ready",
        f"plan:{data['plan_id']}",
        now,
        variables={"goal_count": goal_count} if goal_count is not None else {},
        subject_id=data["plan_id"],
    )


def on_goal_achieved(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    contact = _contact(uow, envelope)
    if contact is None:
        return
    data = envelope.data
    schedule_nudge(
        uow,
        contact,
        "goal_celebration",
        f"goal:{data['goal_id']}",
        now,
        variables={"goal_title": data["title"]},
        subject_id=data["goal_id"],
    )


def _local_label(moment: datetime, timezone: str, local: str | None) -> str:
    """How a message names the time: plans' ISO local time becomes "Tue 14 Apr, 10:00"."""
    at = moment.astimezone(zone(timezone))
    return at.strftime("%a %d %b, %H:%M") if not local or "T" in local else local


def on_action_scheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope)
    if contact is None or data["due_at"] is None:
        return
    due_at = data["due_at"]
    occurrence = data["occurrence_key"] or due_at.isoformat()
    schedule_nudge(
        uow,
        contact,
        "action_reminder",
        f"action:{data['action_id']}:{occurrence}:{due_at.isoformat()}",
        due_at - timedelta(minutes=data["reminder_lead_minutes"]),
        variables={
            "action_title": data["title"],
            "due_local": _local_label(due_at, data["timezone"], data["due_local"]),
        },
        subject_id=data["action_id"],
        subject_occurrence=occurrence,
        event_at=due_at,
    )


def on_action_rescheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Move the occurrence's pending reminder: cancel it, schedule one for the new time."""
    data = envelope.data
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        "rescheduled",
        *_pending_about(data["action_id"], data["occurrence_key"]),
    )
    on_action_scheduled(envelope, uow, now)


def on_action_closed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Completed or cancelled: one occurrence, or the whole step when the key is null."""
    data = envelope.data
    reason = "action_completed" if envelope.type == "action.completed" else "action_cancelled"
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        reason,
        *_pending_about(data["action_id"], data["occurrence_key"]),
    )


def on_checkin_scheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope)
    if contact is None:
        return
    starts_at = data["starts_at"]
    for lead in sorted(set(contact.checkin_reminder_leads or [])):
        schedule_nudge(
            uow,
            contact,
            "checkin_reminder",
            f"checkin:{data['checkin_id']}:{starts_at.isoformat()}:{lead}",
            starts_at - timedelta(minutes=int(lead)),
            variables={
                "starts_local": _local_label(starts_at, data["timezone"], data["starts_local"]),
                "mode": data["mode"].replace("_", " "),
                "duration_minutes": data["duration_minutes"],
            },
            subject_id=data["checkin_id"],
            event_at=starts_at,
        )


def on_checkin_rescheduled(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        "rescheduled",
        Nudge.subject_id == data["checkin_id"],
    )
    on_checkin_scheduled(envelope, uow, now)


def on_checkin_closed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    """Recorded or cancelled: its reminders are no longer needed."""
    data = envelope.data
    reason = "checkin_recorded" if envelope.type == "checkin.recorded" else "checkin_cancelled"
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        reason,
        Nudge.subject_id == data["checkin_id"],
        Nudge.kind == "checkin_reminder",
    )


def on_checkin_missed(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope)
    if contact is None:
        return
    cancel_pending(
        uow,
        envelope.tenant_id,
        data["client_id"],
        "checkin_missed",
        Nudge.subject_id == data["checkin_id"],
        Nudge.kind == "checkin_reminder",
    )
    schedule_nudge(
        uow,
        contact,
        "checkin_missed",
        f"checkin:{data['checkin_id']}",
        now,
        subject_id=data["checkin_id"],
    )


# -- the weekly digest -------------------------------------------------------------------

DIGEST = "weekly_digest"
# Facts are kept this long before a digest's week: room for a later change of weekday.
FACTS_MARGIN = timedelta(days=7)


def digest_time(contact: Contact) -> DigestTime | None:
    if contact.digest_weekday and contact.digest_local_time:
        return DigestTime(contact.digest_weekday, contact.digest_local_time)
    return None


def _pending_digests(uow: UnitOfWork, contact: Contact) -> list[Nudge]:
    return list(
        uow.session.scalars(
            select(Nudge).where(
                Nudge.tenant_id == contact.tenant_id,
                Nudge.client_id == contact.client_id,
                Nudge.kind == DIGEST,
                Nudge.state.in_(PENDING_STATES),
            )
        )
    )


def _digest_of_week(uow: UnitOfWork, contact: Contact, key: str) -> Nudge | None:
    return uow.session.scalar(
        select(Nudge).where(
            Nudge.tenant_id == contact.tenant_id,
            Nudge.client_id == contact.client_id,
            Nudge.kind == DIGEST,
            Nudge.occurrence_key == key,
        )
    )


def schedule_weekly_digest(uow: UnitOfWork, contact: Contact, after: datetime) -> Nudge | None:
    """Keep the client's next digest pending, at their chosen local time after ``after``.

    One digest per local week (its occurrence key): a pending digest of another week is
    cancelled as ``rescheduled``, one cancelled earlier in the chosen week is taken up
    again, and a week whose digest already went (or was skipped) gives way to the next.
    A client without a digest time, or no longer with us, keeps none pending.
    """
    when = digest_time(contact)
    pending = _pending_digests(uow, contact)
    if when is None or contact.status != "active":
        for nudge in pending:
            nudge.state, nudge.reason = "cancelled", "digest_off" if when is None else "inactive"
        return None
    moment = next_digest_at(after, contact.timezone, when)
    for _ in range(3):
        key = week_key(moment, contact.timezone)
        digest = _digest_of_week(uow, contact, key)
        if digest is None or digest.state in (*PENDING_STATES, "cancelled"):
            break
        moment = next_digest_at(moment, contact.timezone, when)
    else:
        return None  # unreachable: a week ahead is always free
    for nudge in pending:
        if nudge is not digest:
            nudge.state, nudge.reason = "cancelled", "rescheduled"
    if digest is None:
        return schedule_nudge(uow, contact, DIGEST, key, moment, event_at=moment)
    digest.state, digest.reason, digest.claimed_until = "scheduled", None, None
    digest.due_at = digest.event_at = moment
    return digest


def schedule_following_digests(uow: UnitOfWork, digests: list[Nudge], now: datetime) -> None:
    """Once a digest is done with (sent, skipped or held back for good), next week's is
    scheduled, and plan facts no digest will speak of again are dropped."""
    for digest in digests:
        contact = uow.session.get(Contact, (digest.tenant_id, digest.client_id))
        if contact is None:
            continue
        following = schedule_weekly_digest(uow, contact, max(now, digest.event_at or now))
        if following is not None:
            week_starts = shifted_by_weeks(following.due_at, contact.timezone, -1)
            plan_projection.forget_before(
                uow.session, contact.tenant_id, contact.client_id, week_starts - FACTS_MARGIN
            )


# -- coach alerts -------------------------------------------------------------------------


def client_ref(client_id) -> str:
    # Alerts name no client: the coach opens the plan to see who it is.
    return f"client {str(client_id)[:8]}"


def on_risk_flagged(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    if data["reason"] == "crisis_message":
        return  # the coach was alerted when the message came in (``replies``), not twice
    contact = _contact(uow, envelope) or _bare_contact(uow, envelope)
    schedule_nudge(
        uow,
        contact,
        "risk_alert",
        f"risk:{data['plan_id']}:{data['reason']}:{data['checkin_id'] or envelope.id}",
        now,
        variables={"client_ref": client_ref(data["client_id"]), "risk": _risk(data["reason"])},
        subject_id=data["plan_id"],
        staff_id=data["coach_id"],
    )


def on_review_due(envelope: Envelope, uow: UnitOfWork, now: datetime) -> None:
    data = envelope.data
    contact = _contact(uow, envelope) or _bare_contact(uow, envelope)
    due_on = data["review_due_on"]
    schedule_nudge(
        uow,
        contact,
        "review_due_alert",
        f"review:{data['plan_id']}:{due_on or envelope.id}",
        now,
        variables={
            "client_ref": client_ref(data["client_id"]),
            "review_due_on": due_on.isoformat() if due_on else "now",
        },
        subject_id=data["plan_id"],
        staff_id=data["coach_id"],
    )


def _risk(reason: str) -> str:
    return {"low_wellbeing": "low wellbeing", "missed_checkins": "missed check-ins"}.get(
        reason, reason.replace("_", " ")
    )


def _bare_contact(uow: UnitOfWork, envelope: Envelope) -> Contact:
    """An alert about a client intake has not told us of yet still reaches the coach."""
    contact = Contact(
        tenant_id=envelope.tenant_id,
        client_id=envelope.data["client_id"],
        given_name="",
        timezone="UTC",
        status="active",
    )
    uow.session.add(contact)
    uow.session.flush()
    return contact
