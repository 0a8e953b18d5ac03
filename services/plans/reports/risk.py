"""The report's risk and safety section: the plan's risk flags raised in the period (why,
when, and when a coach acknowledged them), the participant's crisis messages and how
each was handled, and the low wellbeing ratings; counted and dated.

A crisis message's words are never part of this section: they are in the report only
when the coach chose that journal entry to quote (``review_quotes``).

Acknowledgements come from the plan's history (a coach clearing ``risk_flagged``, which
is also when plans publishes ``client.risk_acknowledged``); how a crisis was answered
comes from notifications' ``notification.sent`` / ``.failed`` (the timeline).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.plans.checkins import CRISIS, LOW_WELLBEING
from services.plans.models import (
    CheckIn,
    JournalEntry,
    RecoveryPlan,
    Revision,
    RiskFlag,
    TimelineEntry,
)
from services.plans.progress import Period

REASONS = {
    CRISIS: "crisis message",
    "low_wellbeing": "low wellbeing rating",
    "missed_checkins": "two check-ins missed in a row",
}
ANSWER_KINDS = ("crisis_text",)  # the crisis line's details, sent to the participant
ALERT_KINDS = ("crisis_alert", "crisis_followup")  # the coach (or admins) alerted


def risk_of(session: Session, plan: RecoveryPlan, period: Period) -> dict:
    """The section's values for ``period``."""
    acknowledged = _acknowledgements(session, plan)
    flags = session.scalars(
        select(RiskFlag)
        .where(
            RiskFlag.plan_id == plan.id,
            RiskFlag.created_at >= period.starts_at,
            RiskFlag.created_at < period.ends_at,
        )
        .order_by(RiskFlag.created_at, RiskFlag.id)
    ).all()
    crises = _journal(session, plan, period, JournalEntry.intent == "crisis")
    return {
        "flags": [_flag(flag, _first_after(acknowledged, flag.created_at)) for flag in flags],
        "crisis_messages": _crisis_messages(session, plan, crises, flags, acknowledged),
        "low_ratings": _low_ratings(session, plan, period),
        "flagged_now": plan.risk_flagged,
    }


def _acknowledgements(session: Session, plan: RecoveryPlan) -> list[datetime]:
    """When a coach cleared the plan's flag, oldest first."""
    revisions = session.scalars(
        select(Revision)
        .where(Revision.plan_id == plan.id, Revision.entity == "plan", Revision.change == "updated")
        .order_by(Revision.created_at)
    ).all()
    return [r.created_at for r in revisions if _clears_flag(r.fields or {})]


def _clears_flag(fields: dict) -> bool:
    change = fields.get("risk_flagged")
    return isinstance(change, dict) and change.get("from") is True and change.get("to") is False


def _first_after(moments: list[datetime], since: datetime) -> datetime | None:
    return next((m for m in moments if m >= since), None)


def _flag(flag: RiskFlag, acknowledged_at: datetime | None) -> dict:
    return {
        "reason": REASONS.get(flag.reason, flag.reason.replace("_", " ")),
        "raised_at": flag.created_at,
        "acknowledged_at": acknowledged_at,
    }


def _journal(session: Session, plan: RecoveryPlan, period: Period, *where) -> list[JournalEntry]:
    return list(
        session.scalars(
            select(JournalEntry)
            .where(
                JournalEntry.plan_id == plan.id,
                JournalEntry.tenant_id == plan.tenant_id,
                JournalEntry.received_at >= period.starts_at,
                JournalEntry.received_at < period.ends_at,
                *where,
            )
            .order_by(JournalEntry.received_at, JournalEntry.id)
        )
    )


def _crisis_messages(session, plan, crises, flags, acknowledged) -> list[dict]:
    """Each crisis message with when the participant was sent the crisis line's details,
    when a coach was alerted and when the flag it raised was acknowledged: the first of
    each after the message and before the next one (later messages are folded into one
    follow-up alert)."""
    if not crises:
        return []
    sent = session.scalars(
        select(TimelineEntry)
        .where(
            TimelineEntry.tenant_id == plan.tenant_id,
            TimelineEntry.client_id == plan.client_id,
            TimelineEntry.event_type == "notification.sent",
            TimelineEntry.kind.in_(ANSWER_KINDS + ALERT_KINDS),
            TimelineEntry.occurred_at >= crises[0].received_at,
        )
        .order_by(TimelineEntry.occurred_at)
    ).all()
    raised = {f.checkin_id: f.created_at for f in flags if f.reason == CRISIS}
    handled = []
    for index, message in enumerate(crises):
        until = crises[index + 1].received_at if index + 1 < len(crises) else None
        window = [
            e
            for e in sent
            if e.occurred_at >= message.received_at and (until is None or e.occurred_at < until)
        ]
        flagged_at = raised.get(message.id, message.received_at)
        handled.append(
            {
                "at": message.received_at,
                "channel": message.channel,
                "answered_at": _first(window, ANSWER_KINDS),
                "coach_alerted_at": _first(window, ALERT_KINDS),
                "acknowledged_at": _first_after(acknowledged, flagged_at),
            }
        )
    return handled


def _first(entries: list[TimelineEntry], kinds: tuple[str, ...]) -> datetime | None:
    return next((e.occurred_at for e in entries if e.kind in kinds), None)


def _low_ratings(session: Session, plan: RecoveryPlan, period: Period) -> list[dict]:
    """Wellbeing of ``LOW_WELLBEING`` or less, from check-ins and the participant's own
    ratings, oldest first."""
    checkins = session.scalars(
        select(CheckIn).where(
            CheckIn.plan_id == plan.id,
            CheckIn.starts_at >= period.starts_at,
            CheckIn.starts_at < period.ends_at,
            CheckIn.wellbeing <= LOW_WELLBEING,
        )
    ).all()
    ratings = _journal(
        session, plan, period, JournalEntry.intent == "mood", JournalEntry.rating <= LOW_WELLBEING
    )
    low = [{"at": c.starts_at, "rating": c.wellbeing, "source": "check-in"} for c in checkins]
    low += [
        {"at": r.received_at, "rating": r.rating, "source": "participant's own rating"}
        for r in ratings
    ]
    return sorted(low, key=lambda r: r["at"])
