"""What an event's payload loads into: a frozen dataclass per payload schema (and per
nested object), one per (type, version) in the catalogue.

The schema's ``post_load`` builds it (``shared/events/payloads.py``), so a handler reads
``event.data.client_id`` as the schema loaded it: UUIDs as :class:`uuid.UUID`, times as
aware :class:`datetime`, dates as :class:`date`. An optional field with no default (added
to a version later, and meaning "not said" when absent) is :data:`ABSENT` when an event
leaves it out: ``if data.family_name is not ABSENT``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from marshmallow.utils import missing

# A field the event left out (an older producer's): not None, which would say "cleared".
# marshmallow's own ``missing``, which a dump leaves out as it was left out.
ABSENT = missing
Absent = type(missing)


@dataclass(frozen=True)
class Data:
    """A loaded payload, or a part of one."""


@dataclass(frozen=True)
class Consent(Data):
    email: bool
    sms: bool


@dataclass(frozen=True)
class Contact(Data):
    given_name: str
    timezone: str
    consent: Consent
    preferred_name: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str = "en"
    preferred_channels: list[str] | None = None


@dataclass(frozen=True)
class ClientReferredV1(Data):
    client_id: uuid.UUID
    contact: Contact
    referred_by: uuid.UUID | None = None


@dataclass(frozen=True)
class Aspiration(Data):
    domain: str
    text: str


@dataclass(frozen=True)
class K10Summary(Data):
    total: int
    band: str


@dataclass(frozen=True)
class WemwbsSummary(Data):
    total: int
    band: str | None = None


@dataclass(frozen=True)
class AssessmentSummary(Data):
    version: int
    domain_ratings: dict[str, int]
    strengths: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    aspirations: list[Aspiration] = field(default_factory=list)
    k10: K10Summary | None = None
    wemwbs: WemwbsSummary | None = None


@dataclass(frozen=True)
class ClientOnboardedV1(Data):
    client_id: uuid.UUID
    coach_id: uuid.UUID
    timezone: str
    contact: Contact
    assessment: AssessmentSummary
    family_name: str | None | Absent = ABSENT
    external_reference: str | None | Absent = ABSENT
    referred_by: uuid.UUID | None = None
    phone_confirmed_at: datetime | None | Absent = ABSENT


@dataclass(frozen=True)
class ClientUpdatedV1(Data):
    client_id: uuid.UUID
    changed: list[str]
    contact: Contact
    family_name: str | None | Absent = ABSENT
    external_reference: str | None | Absent = ABSENT
    coach_id: uuid.UUID | None = None
    referred_by: uuid.UUID | None = None


@dataclass(frozen=True)
class ClientDischargedV1(Data):
    client_id: uuid.UUID
    reason: str
    discharged_at: datetime


@dataclass(frozen=True)
class ClientErasedV1(Data):
    client_id: uuid.UUID


@dataclass(frozen=True)
class StaffV1(Data):
    staff_id: uuid.UUID
    name: str
    email: str
    role: str
    phone: str | None = None
    active: bool = True
    organisation_name: str | None = None


@dataclass(frozen=True)
class StaffAccessChangedV1(Data):
    staff_id: uuid.UUID
    role: str
    active: bool
    tokens_valid_after: datetime | None = None


@dataclass(frozen=True)
class PlanCreatedV1(Data):
    plan_id: uuid.UUID
    client_id: uuid.UUID
    coach_id: uuid.UUID
    goal_count: int


@dataclass(frozen=True)
class PlanActivatedV1(Data):
    plan_id: uuid.UUID
    client_id: uuid.UUID
    coach_id: uuid.UUID
    review_due_on: date | None = None
    goal_count: int | None = None


@dataclass(frozen=True)
class PlanLifecycleV1(Data):
    plan_id: uuid.UUID
    client_id: uuid.UUID
    coach_id: uuid.UUID
    review_due_on: date | None = None


@dataclass(frozen=True)
class MoodPromptsSetV1(Data):
    plan_id: uuid.UUID
    client_id: uuid.UUID
    weekdays: list[str] | None
    local_time: str | None


@dataclass(frozen=True)
class GoalV1(Data):
    goal_id: uuid.UUID
    plan_id: uuid.UUID
    client_id: uuid.UUID
    title: str
    domain: str
    status: str | None = None
    progress: int | None = None
    target_date: date | None = None


@dataclass(frozen=True)
class GoalUpdatedV1(Data):
    goal_id: uuid.UUID
    plan_id: uuid.UUID
    client_id: uuid.UUID
    title: str
    domain: str
    status: str
    progress: int
    target_date: date | None = None


@dataclass(frozen=True)
class ActionOccurrenceV1(Data):
    action_id: uuid.UUID
    goal_id: uuid.UUID
    plan_id: uuid.UUID
    client_id: uuid.UUID
    title: str
    timezone: str
    occurrence_key: str | None = None
    due_at: datetime | None = None
    due_local: str | None = None
    reminder_lead_minutes: int = 60
    previous_due_at: datetime | None = None


@dataclass(frozen=True)
class CheckInV1(Data):
    checkin_id: uuid.UUID
    plan_id: uuid.UUID
    client_id: uuid.UUID
    coach_id: uuid.UUID
    starts_at: datetime
    starts_local: str
    timezone: str
    duration_minutes: int
    mode: str


@dataclass(frozen=True)
class CheckInRecordedV1(Data):
    checkin_id: uuid.UUID
    plan_id: uuid.UUID
    client_id: uuid.UUID
    attended: bool
    wellbeing: int | None = None


@dataclass(frozen=True)
class CheckInMissedV1(Data):
    checkin_id: uuid.UUID
    plan_id: uuid.UUID
    client_id: uuid.UUID
    coach_id: uuid.UUID
    starts_at: datetime


@dataclass(frozen=True)
class RiskFlaggedV1(Data):
    plan_id: uuid.UUID
    client_id: uuid.UUID
    coach_id: uuid.UUID
    reason: str
    checkin_id: uuid.UUID | None = None
    reply_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RiskAcknowledgedV1(Data):
    plan_id: uuid.UUID
    client_id: uuid.UUID
    acknowledged_at: datetime
    reason: str | None = None
    acknowledged_by: uuid.UUID | None = None


@dataclass(frozen=True)
class NotificationOutcomeV1(Data):
    nudge_id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    channel: str
    reason: str | None = None


@dataclass(frozen=True)
class ConsentChangedV1(Data):
    client_id: uuid.UUID
    channel: str
    method: str
    occurred_at: datetime


@dataclass(frozen=True)
class ClientRepliedV1(Data):
    reply_id: uuid.UUID
    client_id: uuid.UUID
    channel: str
    received_at: datetime
    intent: str
    rating: int | None = None
    action_id: uuid.UUID | None = None
    occurrence_key: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class CompletionWithdrawnV1(Data):
    reply_id: uuid.UUID
    client_id: uuid.UUID
    action_id: uuid.UUID
    occurrence_key: str
    withdrawn_at: datetime


@dataclass(frozen=True)
class PhoneConfirmedV1(Data):
    client_id: uuid.UUID
    confirmed: bool
    changed_at: datetime
    phone_hash: str


@dataclass(frozen=True)
class SupporterChangedV1(Data):
    supporter_id: uuid.UUID
    client_id: uuid.UUID
    scopes: list[str]
    at: datetime


@dataclass(frozen=True)
class SupporterRemovedV1(Data):
    supporter_id: uuid.UUID
    client_id: uuid.UUID
    by: str
    at: datetime


@dataclass(frozen=True)
class SupporterAlertedV1(Data):
    supporter_id: uuid.UUID
    client_id: uuid.UUID
    scope: str
    at: datetime


@dataclass(frozen=True)
class SupporterAllClearV1(Data):
    supporter_id: uuid.UUID
    client_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class EscalationSetV1(Data):
    plan_id: uuid.UUID
    client_id: uuid.UUID
    client_reminder_after_minutes: int
    supporters_after_missed: int
    supporters_after_minutes: int


@dataclass(frozen=True)
class CrisisAlertV1(Data):
    alert_id: uuid.UUID
    client_id: uuid.UUID
    state: str
    at: datetime
    by: uuid.UUID | None = None
