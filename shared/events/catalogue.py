"""The one catalogue of event types: each one's versions and their payload schemas.

It names events, not services: who consumes an event is the handler tables' business
(each service's queue is bound to its handler table's keys, ``shared/messaging/
topology.py``), who produces it the producing service's declaration, both gathered by the
composition root (``coaching/registry.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema

from shared.events import payloads


@dataclass(frozen=True)
class EventSpec:
    type: str
    versions: dict[int, type[Schema]]

    @property
    def latest_version(self) -> int:
        return max(self.versions)


def _spec(type_: str, **versions) -> EventSpec:
    return EventSpec(type=type_, versions={int(k.lstrip("v")): v for k, v in versions.items()})


P = payloads

CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        _spec("client.referred", v1=P.ClientReferredV1),
        _spec("client.onboarded", v1=P.ClientOnboardedV1),
        _spec("client.updated", v1=P.ClientUpdatedV1),
        _spec("client.discharged", v1=P.ClientDischargedV1),
        _spec("client.erased", v1=P.ClientErasedV1),
        _spec("staff.created", v1=P.StaffV1),
        _spec("staff.updated", v1=P.StaffV1),
        _spec("staff.access_changed", v1=P.StaffAccessChangedV1),
        _spec("plan.created", v1=P.PlanCreatedV1),
        _spec("plan.activated", v1=P.PlanActivatedV1),
        _spec("plan.completed", v1=P.PlanLifecycleV1),
        _spec("plan.review_due", v1=P.PlanLifecycleV1),
        _spec("plan.mood_prompts_set", v1=P.MoodPromptsSetV1),
        _spec("goal.created", v1=P.GoalV1),
        _spec("goal.updated", v1=P.GoalUpdatedV1),
        _spec("goal.achieved", v1=P.GoalV1),
        _spec("action.scheduled", v1=P.ActionOccurrenceV1),
        _spec("action.rescheduled", v1=P.ActionOccurrenceV1),
        _spec("action.completed", v1=P.ActionOccurrenceV1),
        _spec("action.cancelled", v1=P.ActionOccurrenceV1),
        _spec("checkin.scheduled", v1=P.CheckInV1),
        _spec("checkin.rescheduled", v1=P.CheckInV1),
        _spec("checkin.cancelled", v1=P.CheckInV1),
        _spec("checkin.recorded", v1=P.CheckInRecordedV1),
        _spec("checkin.missed", v1=P.CheckInMissedV1),
        _spec("client.risk_flagged", v1=P.RiskFlaggedV1),
        _spec("client.risk_acknowledged", v1=P.RiskAcknowledgedV1),
        _spec("notification.sent", v1=P.NotificationOutcomeV1),
        _spec("notification.failed", v1=P.NotificationOutcomeV1),
        _spec("contact.opted_out", v1=P.ConsentChangedV1),
        _spec("contact.opted_in", v1=P.ConsentChangedV1),
        _spec("client.replied", v1=P.ClientRepliedV1),
        _spec("action.completion_withdrawn", v1=P.CompletionWithdrawnV1),
        _spec("contact.phone_confirmed", v1=P.PhoneConfirmedV1),
        _spec("plan.escalation_set", v1=P.EscalationSetV1),
        _spec("supporter.invited", v1=P.SupporterChangedV1),
        _spec("supporter.confirmed", v1=P.SupporterChangedV1),
        _spec("supporter.removed", v1=P.SupporterRemovedV1),
        _spec("supporter.alerted", v1=P.SupporterAlertedV1),
        _spec("supporter.all_clear", v1=P.SupporterAllClearV1),
        _spec("crisis_alert.opened", v1=P.CrisisAlertV1),
        _spec("crisis_alert.acknowledged", v1=P.CrisisAlertV1),
        _spec("crisis_alert.resolved", v1=P.CrisisAlertV1),
    )
}
