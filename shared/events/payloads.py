"""Marshmallow schemas of event payloads, one per (type, version).

A change that would break a consumer (a field removed, renamed or given another meaning)
is a new version. An optional field may be added to a version: every payload schema is a
:class:`Payload`, which ignores fields it does not know, so a consumer not yet upgraded
reads a newer producer's event (a rolling deploy) instead of dead-lettering it. The
producer stays strict: building an envelope with a field its schema lacks is a bug.
What a schema loads is its frozen dataclass (``loads_into``, ``shared/events/data.py``),
built by the ``post_load`` of :class:`Payload`: consumers read attributes, never a dict.
Payloads carry personal data only where the consuming service needs it (e.g.
notifications needs an address).
"""

import hashlib
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from shared.domains import LIFE_DOMAINS
from shared.events import data as D
from shared.localtime import WEEKDAYS
from shared.validation import WholeMatch

Domain = validate.OneOf(LIFE_DOMAINS)


class Payload(Schema):
    """An event payload (or a part of one): fields this version does not know are ignored,
    and what is loaded is the frozen dataclass ``loads_into`` names."""

    loads_into: ClassVar[type[D.Data] | None] = None

    class Meta:
        unknown = EXCLUDE

    @post_load
    def _into_dataclass(self, data: dict[str, Any], **_kwargs) -> Any:
        return data if self.loads_into is None else self.loads_into(**data)


CHANNELS = ("email", "sms")


class ConsentSchema(Payload):
    loads_into = D.Consent

    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True)


class ContactSchema(Payload):
    """What notifications needs to reach a client."""

    loads_into = D.Contact

    given_name = fields.String(required=True)
    preferred_name = fields.String(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    timezone = fields.String(required=True)
    locale = fields.String(load_default="en")
    consent = fields.Nested(ConsentSchema, required=True)
    # The channels the client wants tried first, in order ([] for no preference). Added
    # later: null (an event from before) means "not said", so projections keep theirs.
    preferred_channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=len(CHANNELS)),
    )


class AspirationSchema(Payload):
    loads_into = D.Aspiration

    domain = fields.String(required=True, validate=Domain)
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class K10SummarySchema(Payload):
    loads_into = D.K10Summary

    total = fields.Integer(required=True, validate=validate.Range(10, 50))
    band = fields.String(required=True)


class WemwbsSummarySchema(Payload):
    loads_into = D.WemwbsSummary

    total = fields.Integer(required=True, validate=validate.Range(14, 70))
    band = fields.String(allow_none=True, load_default=None)


class AssessmentSummarySchema(Payload):
    loads_into = D.AssessmentSummary

    version = fields.Integer(required=True)
    domain_ratings = fields.Dict(
        keys=fields.String(validate=Domain),
        values=fields.Integer(validate=validate.Range(1, 10)),
        required=True,
    )
    strengths = fields.List(fields.String(), load_default=list)
    challenges = fields.List(fields.String(), load_default=list)
    aspirations = fields.List(fields.Nested(AspirationSchema), load_default=list)
    # Optional (added later): the scored outcome measures, for plans' review report.
    k10 = fields.Nested(K10SummarySchema, allow_none=True, load_default=None)
    wemwbs = fields.Nested(WemwbsSummarySchema, allow_none=True, load_default=None)


# Who referred the client: with ``coach_id`` it decides which coaches may see the client
# (assigned to or referred by them). Optional, for events from before it was added.
ReferredBy = fields.UUID(allow_none=True, load_default=None)


class ClientReferredV1(Payload):
    loads_into = D.ClientReferredV1

    client_id = fields.UUID(required=True)
    contact = fields.Nested(ContactSchema, required=True)
    referred_by = ReferredBy


class ParticipantFields(Payload):
    """Optional (added later) fields naming the participant in plans' review report.

    No default: an event from an older producer leaves them out, and a consumer keeps
    what it knew instead of clearing it."""

    family_name = fields.String(allow_none=True)
    external_reference = fields.String(
        allow_none=True, metadata={"description": "e.g. the funding scheme's participant number"}
    )


class ClientOnboardedV1(ParticipantFields):
    loads_into = D.ClientOnboardedV1

    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    timezone = fields.String(required=True)
    contact = fields.Nested(ContactSchema, required=True)
    assessment = fields.Nested(AssessmentSummarySchema, required=True)
    referred_by = ReferredBy
    # Added later, no default (absent from an older producer's event): when the person
    # confirmed, by replying, that this record is theirs, as intake knows it (the
    # ``changed_at`` of that ``contact.phone_confirmed``), or null. A projection that
    # starts at onboarding missed the confirmations that came before.
    phone_confirmed_at = fields.AwareDateTime(allow_none=True)


class PlanCreatedV1(Payload):
    loads_into = D.PlanCreatedV1

    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    goal_count = fields.Integer(required=True)


class NotificationOutcomeV1(Payload):
    loads_into = D.NotificationOutcomeV1

    nudge_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    channel = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)


# -- intake -------------------------------------------------------------------------------


class ClientUpdatedV1(ParticipantFields):
    """``changed`` names the fields that changed (never their values); ``contact`` is the
    current contact so projections can simply overwrite."""

    loads_into = D.ClientUpdatedV1

    client_id = fields.UUID(required=True)
    changed = fields.List(fields.String(), required=True)
    coach_id = fields.UUID(allow_none=True, load_default=None)
    contact = fields.Nested(ContactSchema, required=True)
    referred_by = ReferredBy


class ClientDischargedV1(Payload):
    loads_into = D.ClientDischargedV1

    client_id = fields.UUID(required=True)
    reason = fields.String(required=True)
    discharged_at = fields.AwareDateTime(required=True)


class ClientErasedV1(Payload):
    loads_into = D.ClientErasedV1

    client_id = fields.UUID(required=True)


class StaffV1(Payload):
    loads_into = D.StaffV1

    staff_id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    role = fields.String(required=True, validate=validate.OneOf(("org_admin", "coach")))
    active = fields.Boolean(load_default=True)
    # Optional: the organisation's display name, so notifications can name it in messages
    # (SMS HELP replies, templates) without reading intake's tables.
    organisation_name = fields.String(allow_none=True, load_default=None)


class StaffAccessChangedV1(Payload):
    """Who may still act as a staff member, and as what: every service checks a token's
    member against it. No personal data, so every service may receive it."""

    loads_into = D.StaffAccessChangedV1

    staff_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(("org_admin", "coach")))
    active = fields.Boolean(required=True)
    # Tokens issued before this moment are refused (a key revoked or rotated, the member
    # deactivated); null when it never happened.
    tokens_valid_after = fields.AwareDateTime(allow_none=True, load_default=None)


# -- plans --------------------------------------------------------------------------------


class PlanLifecycleV1(Payload):
    loads_into = D.PlanLifecycleV1

    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    review_due_on = fields.Date(allow_none=True, load_default=None)


class PlanActivatedV1(PlanLifecycleV1):
    # Optional: the goals the client starts with (neither achieved nor cancelled), so the
    # plan-ready message can say how many. Absent from events sent before it was added.
    loads_into = D.PlanActivatedV1

    goal_count = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0))


class MoodPromptsSetV1(Payload):
    """The client's self check-in prompts: local weekdays and "HH:MM", both null for none
    (cleared by the coach, or by the plan's completion)."""

    loads_into = D.MoodPromptsSetV1

    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        allow_none=True,
        required=True,
        validate=validate.Length(min=1, max=len(WEEKDAYS)),
    )
    local_time = fields.String(
        allow_none=True, required=True, validate=WholeMatch(r"^([01]\d|2[0-3]):[0-5]\d$")
    )


GOAL_STATUSES = ("proposed", "active", "on_hold", "achieved", "cancelled")


class GoalV1(Payload):
    """A goal (``goal.created``, ``goal.achieved``). ``status``, ``progress`` (0-100) and
    ``target_date`` were added later: null in an event from before."""

    loads_into = D.GoalV1

    goal_id = fields.UUID(required=True)
    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    title = fields.String(required=True)
    domain = fields.String(required=True, validate=Domain)
    status = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(GOAL_STATUSES)
    )
    progress = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(0, 100))
    target_date = fields.Date(allow_none=True, load_default=None)


class GoalUpdatedV1(GoalV1):
    """A goal's title, status or progress changed (``goal.updated``): the goal as it is now."""

    loads_into = D.GoalUpdatedV1

    status = fields.String(required=True, validate=validate.OneOf(GOAL_STATUSES))
    progress = fields.Integer(required=True, validate=validate.Range(0, 100))


class ActionOccurrenceV1(Payload):
    """One occurrence of an action step. ``occurrence_key`` is stable for that occurrence
    (its original local date-time), so reminders can be found, moved or cancelled.
    ``occurrence_key`` null on ``action.completed``/``action.cancelled`` means the whole
    step."""

    loads_into = D.ActionOccurrenceV1

    action_id = fields.UUID(required=True)
    goal_id = fields.UUID(required=True)
    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    title = fields.String(required=True)
    occurrence_key = fields.String(allow_none=True, load_default=None)
    due_at = fields.AwareDateTime(allow_none=True, load_default=None)
    due_local = fields.String(allow_none=True, load_default=None)
    timezone = fields.String(required=True)
    reminder_lead_minutes = fields.Integer(load_default=60, validate=validate.Range(min=0))
    previous_due_at = fields.AwareDateTime(allow_none=True, load_default=None)


class CheckInV1(Payload):
    loads_into = D.CheckInV1

    checkin_id = fields.UUID(required=True)
    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    starts_at = fields.AwareDateTime(required=True)
    starts_local = fields.String(required=True)
    timezone = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    mode = fields.String(required=True, validate=validate.OneOf(("in_person", "phone", "video")))


class CheckInRecordedV1(Payload):
    """No notes: they stay in plans."""

    loads_into = D.CheckInRecordedV1

    checkin_id = fields.UUID(required=True)
    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    attended = fields.Boolean(required=True)
    wellbeing = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 10))


class CheckInMissedV1(Payload):
    loads_into = D.CheckInMissedV1

    checkin_id = fields.UUID(required=True)
    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    starts_at = fields.AwareDateTime(required=True)


class RiskFlaggedV1(Payload):
    """Raised by a check-in (``checkin_id``) or by the client's own reply (``reply_id``):
    a low self-rated mood is ``low_wellbeing``, a crisis message ``crisis_message`` (whose
    coach notifications has already alerted)."""

    loads_into = D.RiskFlaggedV1

    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(("low_wellbeing", "missed_checkins", "crisis_message")),
    )
    checkin_id = fields.UUID(allow_none=True, load_default=None)
    reply_id = fields.UUID(allow_none=True, load_default=None)


# -- notifications ------------------------------------------------------------------------


class ConsentChangedV1(Payload):
    loads_into = D.ConsentChangedV1

    client_id = fields.UUID(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(("email", "sms")))
    method = fields.String(
        required=True, validate=validate.OneOf(("sms_keyword", "email_unsubscribe"))
    )
    occurred_at = fields.AwareDateTime(required=True)


class ClientRepliedV1(Payload):
    """A client's reply (SMS, an email link or their own page), once per ``reply_id``.

    ``text`` is health data: present only for ``crisis``, ``journal`` and a ``mood`` with
    words ("6 bit tired today": the rating and the note), never logged,
    erased with the client. ``rating`` for ``mood``; ``action_id`` and ``occurrence_key``
    (the occurrence's key as plans announced it) for ``done``.
    """

    loads_into = D.ClientRepliedV1

    reply_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email", "web")))
    received_at = fields.AwareDateTime(required=True)
    intent = fields.String(
        required=True, validate=validate.OneOf(("crisis", "mood", "done", "journal"))
    )
    rating = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 10))
    action_id = fields.UUID(allow_none=True, load_default=None)
    occurrence_key = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=100)
    )
    text = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1600))


class CompletionWithdrawnV1(Payload):
    """The client took back their Done (``reply_id``, a ``client.replied`` with intent
    ``done``) on their own page, at ``withdrawn_at``: the occurrence it completed is not
    done after all, unless someone else completed it."""

    loads_into = D.CompletionWithdrawnV1

    reply_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    action_id = fields.UUID(required=True)
    occurrence_key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    withdrawn_at = fields.AwareDateTime(required=True)


class PhoneConfirmedV1(Payload):
    """Whether the person with the client's phone has confirmed, by replying, that this
    record is theirs (their texts are filed here), as of ``changed_at``. ``confirmed``
    false: the person confirmed another record for that number. ``phone_hash`` says which
    number (``phone_hash(tenant_id, phone)``), so a consumer ignores a confirmation of a
    number the client no longer has; the number itself is not in the event."""

    loads_into = D.PhoneConfirmedV1

    client_id = fields.UUID(required=True)
    confirmed = fields.Boolean(required=True)
    changed_at = fields.AwareDateTime(required=True)
    phone_hash = fields.String(required=True, validate=validate.Length(equal=16))


def phone_hash(tenant_id, phone: str) -> str:
    """A short, tenant-keyed digest of a phone number, for ``contact.phone_confirmed``."""
    return hashlib.sha256(f"{tenant_id}:{phone}".encode()).hexdigest()[:16]


def phone_confirmation_applies(
    confirmation: D.PhoneConfirmedV1, current_phone_hash: str | None, applied_as_of: datetime | None
) -> bool:
    """Whether a loaded ``contact.phone_confirmed`` payload changes a record whose current
    phone has the digest ``current_phone_hash`` (None: it has no phone) and which last
    applied one as of ``applied_as_of``: not for a number the client no longer has, and
    not when a newer one was applied already (events can arrive out of order)."""
    if current_phone_hash is None or confirmation.phone_hash != current_phone_hash:
        return False
    return applied_as_of is None or confirmation.changed_at >= applied_as_of


class RiskAcknowledgedV1(Payload):
    """A coach cleared the plan's risk flag: they have acted on it. Encouraging nudges
    held after a crisis message may go again."""

    loads_into = D.RiskAcknowledgedV1

    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    reason = fields.String(allow_none=True, load_default=None)
    acknowledged_by = fields.UUID(allow_none=True, load_default=None)
    acknowledged_at = fields.AwareDateTime(required=True)


# -- supporters (notifications) and escalation (plans) -------------------------------------

SUPPORTER_SCOPES = ("celebrations", "missed_checkins", "crisis")


class SupporterChangedV1(Payload):
    """A client's supporter invited or confirmed (``supporter.invited``,
    ``supporter.confirmed``): ids and scopes only, never a name or an address."""

    loads_into = D.SupporterChangedV1

    supporter_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SUPPORTER_SCOPES)),
        required=True,
        validate=validate.Length(max=len(SUPPORTER_SCOPES)),
    )
    at = fields.AwareDateTime(required=True)


class SupporterRemovedV1(Payload):
    """A supporter removed by the client, their coach (``staff``) or themselves."""

    loads_into = D.SupporterRemovedV1

    supporter_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    by = fields.String(required=True, validate=validate.OneOf(("client", "staff", "supporter")))
    at = fields.AwareDateTime(required=True)


class SupporterAlertedV1(Payload):
    """A supporter was told something under ``scope`` (a missed check-in, a crisis): the
    fixed text is in the disclosure log, not here."""

    loads_into = D.SupporterAlertedV1

    supporter_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(SUPPORTER_SCOPES))
    at = fields.AwareDateTime(required=True)


class SupporterAllClearV1(Payload):
    """A supporter alerted of a missed check-in was told the client has replied."""

    loads_into = D.SupporterAllClearV1

    supporter_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    at = fields.AwareDateTime(required=True)


class EscalationSetV1(Payload):
    """A plan's escalation of a missed self check-in (``plan.escalation_set``): minutes
    to the client's reminder, prompts missed in a row and minutes before supporters."""

    loads_into = D.EscalationSetV1

    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    client_reminder_after_minutes = fields.Integer(
        required=True, validate=validate.Range(min=1, max=24 * 60)
    )
    supporters_after_missed = fields.Integer(required=True, validate=validate.Range(min=1, max=14))
    supporters_after_minutes = fields.Integer(
        required=True, validate=validate.Range(min=1, max=7 * 24 * 60)
    )


class CrisisAlertV1(Payload):
    """A client's crisis alert changed hands: ``crisis_alert.opened`` (nobody owns it yet),
    ``.acknowledged`` (a coach or admin, or the on-call list by its link: ``by`` null),
    ``.resolved``. No words and no note: plans only puts the client first on the
    caseload while an alert is open."""

    loads_into = D.CrisisAlertV1

    alert_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    state = fields.String(
        required=True, validate=validate.OneOf(("open", "acknowledged", "resolved"))
    )
    at = fields.AwareDateTime(required=True)
    by = fields.UUID(allow_none=True, load_default=None)
