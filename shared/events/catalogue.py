"""The one catalogue of event types: who produces each, who consumes it, its schemas.

The messaging topology binds each consumer's queue from this table. A service's consumers
here are exactly the event types its handlers table handles (a unit test holds the two
equal), so a queue is never bound to an event nobody handles; adding a handler means
adding its service here.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema

from shared.events import payloads


@dataclass(frozen=True)
class EventSpec:
    type: str
    producer: str
    consumers: tuple[str, ...]
    versions: dict[int, type[Schema]]

    @property
    def latest_version(self) -> int:
        return max(self.versions)


def _spec(type_: str, producer: str, consumers: tuple[str, ...], **versions) -> EventSpec:
    return EventSpec(
        type=type_,
        producer=producer,
        consumers=consumers,
        versions={int(k.lstrip("v")): v for k, v in versions.items()},
    )


P = payloads
N, PL, IN = ("notifications",), ("plans",), ("intake",)
PN = ("plans", "notifications")
IP = ("intake", "plans")
# Published for whoever subscribes later: no service handles these yet.
NOBODY: tuple[str, ...] = ()

CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        # intake
        _spec("client.referred", "intake", N, v1=P.ClientReferredV1),
        _spec("client.onboarded", "intake", PN, v1=P.ClientOnboardedV1),
        _spec("client.updated", "intake", PN, v1=P.ClientUpdatedV1),
        _spec("client.discharged", "intake", PN, v1=P.ClientDischargedV1),
        _spec("client.erased", "intake", PN, v1=P.ClientErasedV1),
        _spec("staff.created", "intake", PN, v1=P.StaffV1),
        _spec("staff.updated", "intake", PN, v1=P.StaffV1),
        _spec("staff.access_changed", "intake", PN, v1=P.StaffAccessChangedV1),
        # plans
        _spec("plan.created", "plans", NOBODY, v1=P.PlanCreatedV1),
        _spec("plan.activated", "plans", N, v1=P.PlanActivatedV1),
        _spec("plan.completed", "plans", NOBODY, v1=P.PlanLifecycleV1),
        _spec("plan.review_due", "plans", N, v1=P.PlanLifecycleV1),
        _spec("plan.mood_prompts_set", "plans", N, v1=P.MoodPromptsSetV1),
        _spec("goal.created", "plans", N, v1=P.GoalV1),
        _spec("goal.updated", "plans", N, v1=P.GoalUpdatedV1),
        _spec("goal.achieved", "plans", N, v1=P.GoalV1),
        _spec("action.scheduled", "plans", N, v1=P.ActionOccurrenceV1),
        _spec("action.rescheduled", "plans", N, v1=P.ActionOccurrenceV1),
        _spec("action.completed", "plans", N, v1=P.ActionOccurrenceV1),
        _spec("action.cancelled", "plans", N, v1=P.ActionOccurrenceV1),
        _spec("checkin.scheduled", "plans", N, v1=P.CheckInV1),
        _spec("checkin.rescheduled", "plans", N, v1=P.CheckInV1),
        _spec("checkin.cancelled", "plans", N, v1=P.CheckInV1),
        _spec("checkin.recorded", "plans", N, v1=P.CheckInRecordedV1),
        _spec("checkin.missed", "plans", N, v1=P.CheckInMissedV1),
        _spec("client.risk_flagged", "plans", N, v1=P.RiskFlaggedV1),
        _spec("client.risk_acknowledged", "plans", N, v1=P.RiskAcknowledgedV1),
        # notifications
        _spec("notification.sent", "notifications", PL, v1=P.NotificationOutcomeV1),
        _spec("notification.failed", "notifications", PL, v1=P.NotificationOutcomeV1),
        _spec("contact.opted_out", "notifications", IN, v1=P.ConsentChangedV1),
        _spec("contact.opted_in", "notifications", IN, v1=P.ConsentChangedV1),
        _spec("client.replied", "notifications", PL, v1=P.ClientRepliedV1),
        _spec("action.completion_withdrawn", "notifications", PL, v1=P.CompletionWithdrawnV1),
        _spec("contact.phone_confirmed", "notifications", IP, v1=P.PhoneConfirmedV1),
    )
}


def routing_keys_for(service: str) -> list[str]:
    """The event types a service's queue is bound to."""
    return sorted(t for t, spec in CATALOGUE.items() if service in spec.consumers)


def consumers_of(event_type: str) -> tuple[str, ...]:
    spec = CATALOGUE.get(event_type)
    return spec.consumers if spec else ()
