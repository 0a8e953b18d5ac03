"""Request and response bodies of the plans API."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from services.plans.lifecycle import GOAL_STATUSES, PLAN_STATUSES
from services.plans.limits import TEXT_LENGTH, TITLE_LENGTH
from shared.localtime import WEEKDAYS
from shared.pagination import page_of, paged
from shared.validation import LifeDomain, MultilineText, Schema

PRIORITIES = ("low", "medium", "high")
MODES = ("in_person", "phone", "video")
LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
Title = validate.Length(min=1, max=TITLE_LENGTH)
LongText = validate.Length(max=TEXT_LENGTH)


# -- queries and pages --------------------------------------------------------------------


@paged
class PlanQuerySchema(Schema):
    client_id = fields.UUID(required=True)


def _local_time(value: str) -> None:
    if not LOCAL_TIME.fullmatch(value):  # not match: its $ lets "08:00\n" by
        raise ValidationError("A local time as HH:MM (24-hour).")


# -- plans --------------------------------------------------------------------------------


class GoalSchema(Schema):
    id = fields.UUID()
    plan_id = fields.UUID()
    title = fields.String()
    domain = fields.String()
    description = fields.String(allow_none=True)
    measure_of_success = fields.String(allow_none=True)
    target_date = fields.Date(allow_none=True)
    priority = fields.String()
    status = fields.String()
    progress = fields.Integer()
    achieved_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


def _window(name: str, bounds: tuple[int, int], description: str):
    return fields.Integer(
        load_default=None,
        validate=validate.Range(*bounds),
        metadata={"description": f"{description} ({bounds[0]}-{bounds[1]})"},
    )


class EscalationSchema(Schema):
    """A missed self check-in's escalation; a field left out keeps the plan's value (the
    organisation's default when the plan has none)."""

    client_reminder_after_minutes = _window(
        "client_reminder_after_minutes",
        (1, 24 * 60),
        "minutes after an unanswered prompt before one reminder to the client",
    )
    supporters_after_missed = _window(
        "supporters_after_missed",
        (1, 14),
        "prompts missed in a row before supporters with missed_checkins are told",
    )
    supporters_after_minutes = _window(
        "supporters_after_minutes",
        (1, 7 * 24 * 60),
        "minutes after the prompt before supporters are told",
    )


class EscalationViewSchema(Schema):
    client_reminder_after_minutes = fields.Integer()
    supporters_after_missed = fields.Integer()
    supporters_after_minutes = fields.Integer()


class MoodPromptsSchema(Schema):
    """Self check-in prompts on these local weekdays at this local time; a body of
    ``null`` (or both fields null) stops them."""

    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        allow_none=True,
        validate=validate.Length(min=1, max=len(WEEKDAYS)),
        metadata={"example": ["mon", "thu"]},
    )
    local_time = fields.String(
        required=True, allow_none=True, validate=_local_time, metadata={"example": "18:00"}
    )

    @pre_load
    def _null_stops(self, data, **_):
        return {"weekdays": None, "local_time": None} if data is None else data

    @validates_schema
    def _whole_setting(self, data, **_):
        days, at = data.get("weekdays"), data.get("local_time")
        errors = {}
        if days is not None and len(set(days)) != len(days):
            errors["weekdays"] = ["Each weekday at most once."]
        if (days is None) != (at is None):
            missing = "weekdays" if days is None else "local_time"
            errors[missing] = ["Give both weekdays and local_time, or null to stop."]
        if errors:
            raise ValidationError(errors)


class MoodPromptsViewSchema(Schema):
    """The setting as kept: both null when the client gets no mood prompts."""

    weekdays = fields.List(fields.String(), allow_none=True)
    local_time = fields.String(allow_none=True)


class PlanSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    coach_id = fields.UUID()
    status = fields.String()
    timezone = fields.String()
    baseline_ratings = fields.Dict(keys=fields.String(), values=fields.Integer())
    assessment_version = fields.Integer()
    review_due_on = fields.Date(allow_none=True)
    risk_flagged = fields.Boolean()
    risk_reason = fields.String(allow_none=True)
    closed_reason = fields.String(allow_none=True)
    mood_prompts = fields.Nested(
        MoodPromptsViewSchema,
        allow_none=True,
        metadata={"description": "self check-in prompts (weekdays, local_time), or null"},
    )
    goals = fields.List(fields.Nested(GoalSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


PlanPageSchema = page_of(PlanSchema, "PlanPageSchema")


class PlanUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES[:4]))
    risk_flagged = fields.Boolean(
        metadata={"description": "Set false to acknowledge a risk flag."},
        validate=validate.Equal(False, error="A flag can only be cleared (false)."),
    )

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("Give at least one of status, risk_flagged.", "_schema")


# -- goals --------------------------------------------------------------------------------


class GoalFieldsSchema(Schema):
    title = fields.String(validate=Title)
    domain = LifeDomain()
    description = MultilineText(allow_none=True, validate=LongText)
    measure_of_success = MultilineText(allow_none=True, validate=LongText)
    target_date = fields.Date(allow_none=True)
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    progress = fields.Integer(validate=validate.Range(0, 100))


class GoalCreateSchema(GoalFieldsSchema):
    title = fields.String(required=True, validate=Title)
    domain = LifeDomain(required=True)
    status = fields.String(validate=validate.OneOf(("proposed", "active")))


class GoalUpdateSchema(GoalFieldsSchema):
    status = fields.String(validate=validate.OneOf(GOAL_STATUSES))

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


# -- action steps -------------------------------------------------------------------------


class ScheduleFieldsSchema(Schema):
    due_at = fields.AwareDateTime(allow_none=True, metadata={"description": "One-off steps."})
    local_time = fields.String(validate=_local_time, metadata={"example": "09:00"})
    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)), validate=validate.Length(min=1, max=7)
    )
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)


class ActionCreateSchema(ScheduleFieldsSchema):
    title = fields.String(required=True, validate=Title)
    frequency = fields.String(required=True, validate=validate.OneOf(("once", "daily", "weekly")))
    reminder_lead_minutes = fields.Integer(
        load_default=60, validate=validate.Range(min=0, max=7 * 24 * 60)
    )

    @validates_schema
    def _schedule_fits_frequency(self, data, **_):
        errors: dict = {}
        if data.get("frequency") == "once":
            if not data.get("due_at"):
                errors["due_at"] = ["Required for a one-off step."]
            for name in ("local_time", "weekdays", "start_date", "end_date"):
                if data.get(name):
                    errors[name] = ["Only for recurring steps."]
        elif data.get("frequency") in ("daily", "weekly"):
            for name in ("local_time", "start_date"):
                if not data.get(name):
                    errors[name] = ["Required for a recurring step."]
            if data.get("due_at"):
                errors["due_at"] = ["Only for one-off steps."]
            if data["frequency"] == "weekly" and not data.get("weekdays"):
                errors["weekdays"] = ["Required for a weekly step."]
            if data["frequency"] == "daily" and data.get("weekdays"):
                errors["weekdays"] = ["Only for weekly steps."]
        _check_dates(data, errors)
        if errors:
            raise ValidationError(errors)


def _check_dates(data: dict, errors: dict) -> None:
    if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
        errors["end_date"] = ["Must not be before start_date."]


class ActionUpdateSchema(ScheduleFieldsSchema):
    title = fields.String(validate=Title)
    reminder_lead_minutes = fields.Integer(validate=validate.Range(min=0, max=7 * 24 * 60))

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")
        errors: dict = {}
        _check_dates(data, errors)
        if errors:
            raise ValidationError(errors)


class OccurrenceTargetSchema(Schema):
    occurrence_key = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=40),
        metadata={"description": "One occurrence; omit for a one-off or the whole step."},
    )


class OccurrenceRescheduleSchema(OccurrenceTargetSchema):
    due_at = fields.AwareDateTime(required=True)


class OccurrenceSchema(Schema):
    occurrence_key = fields.String()
    due_at = fields.DateTime()
    due_local = fields.String()
    status = fields.String()
    overdue = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)


class ActionSchema(Schema):
    id = fields.UUID()
    goal_id = fields.UUID()
    plan_id = fields.UUID()
    title = fields.String()
    frequency = fields.String()
    due_at = fields.DateTime(allow_none=True)
    local_time = fields.String(allow_none=True)
    weekdays = fields.List(fields.String(), allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    timezone = fields.String()
    reminder_lead_minutes = fields.Integer()
    status = fields.String()
    overdue_count = fields.Integer()
    occurrences = fields.List(fields.Nested(OccurrenceSchema))
    created_at = fields.DateTime()


class ActionListSchema(Schema):
    items = fields.List(fields.Nested(ActionSchema))


# -- check-ins ----------------------------------------------------------------------------


class CheckInCreateSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=480))
    mode = fields.String(required=True, validate=validate.OneOf(MODES))


class CheckInRescheduleSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(validate=validate.Range(min=5, max=480))
    mode = fields.String(validate=validate.OneOf(MODES))


class CheckInRecordSchema(Schema):
    attended = fields.Boolean(required=True)
    wellbeing = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 10))
    notes = MultilineText(allow_none=True, load_default=None, validate=LongText)
    goals_discussed = fields.List(fields.UUID(), load_default=list)
    obstacles = MultilineText(allow_none=True, load_default=None, validate=LongText)
    next_steps = MultilineText(allow_none=True, load_default=None, validate=LongText)

    @validates_schema
    def _wellbeing_needs_attendance(self, data, **_):
        if not data.get("attended") and data.get("wellbeing") is not None:
            raise ValidationError({"wellbeing": ["Only for an attended check-in."]})


class CheckInSchema(Schema):
    id = fields.UUID()
    plan_id = fields.UUID()
    starts_at = fields.DateTime()
    duration_minutes = fields.Integer()
    mode = fields.String()
    status = fields.String()
    attended = fields.Boolean(allow_none=True)
    wellbeing = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    goals_discussed = fields.List(fields.String(), allow_none=True)
    obstacles = fields.String(allow_none=True)
    next_steps = fields.String(allow_none=True)
    recorded_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class CheckInListSchema(Schema):
    items = fields.List(fields.Nested(CheckInSchema))


# -- history, timeline, progress, settings ------------------------------------------------


class RevisionSchema(Schema):
    id = fields.UUID()
    at = fields.DateTime(attribute="created_at")
    actor = fields.String(metadata={"description": "staff or system"})
    actor_id = fields.UUID(allow_none=True)
    actor_name = fields.String(
        allow_none=True,
        metadata={
            "description": "the staff member's name, or system (null: a member not yet known)"
        },
    )
    entity = fields.String()
    entity_id = fields.UUID()
    change = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields")


RevisionPageSchema = page_of(RevisionSchema, "RevisionPageSchema")


class TimelineItemSchema(Schema):
    at = fields.DateTime()
    type = fields.String(metadata={"description": "revision, nudge or reply"})
    summary = fields.String()
    actor_name = fields.String(
        allow_none=True,
        metadata={
            "description": "who acted: the staff member's name, system or client "
            "(null: a member not yet known; their id is in detail)"
        },
    )
    detail = fields.Dict()


class TimelineSchema(Schema):
    items = fields.List(fields.Nested(TimelineItemSchema))


class WeeklyCompletionSchema(Schema):
    week = fields.String()
    due = fields.Integer()
    completed = fields.Integer()
    rate = fields.Float()


class WellbeingPointSchema(Schema):
    checkin_id = fields.UUID(allow_none=True)
    reply_id = fields.UUID(allow_none=True)
    at = fields.DateTime()
    wellbeing = fields.Integer()
    source = fields.String(metadata={"description": "checkin, or client (their own rating)"})


class PeriodSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()


class GoalProgressSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    status = fields.String()
    progress = fields.Integer()


class DomainRatingSchema(Schema):
    domain = fields.String()
    baseline = fields.Integer(allow_none=True)
    latest = fields.Integer(allow_none=True)


class ProgressSchema(Schema):
    plan_id = fields.UUID()
    status = fields.String()
    period = fields.Nested(PeriodSchema)
    risk_flagged = fields.Boolean()
    goals_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    goals_achieved = fields.Integer()
    goals = fields.List(fields.Nested(GoalProgressSchema))
    weekly_completion = fields.List(fields.Nested(WeeklyCompletionSchema))
    overdue_occurrences = fields.Integer()
    wellbeing = fields.List(fields.Nested(WellbeingPointSchema))
    domain_ratings = fields.List(fields.Nested(DomainRatingSchema))


class OrganisationSettingsSchema(Schema):
    review_interval_weeks = fields.Integer(required=True, validate=validate.Range(1, 104))
    missed_checkin_after_minutes = fields.Integer(
        required=True, validate=validate.Range(0, 14 * 24 * 60)
    )
    # The defaults of a plan's escalation (``PUT /v1/plans/{id}/escalation``); left out:
    # kept as they are.
    escalation_client_reminder_after_minutes = fields.Integer(validate=validate.Range(1, 24 * 60))
    escalation_supporters_after_missed = fields.Integer(validate=validate.Range(1, 14))
    escalation_supporters_after_minutes = fields.Integer(validate=validate.Range(1, 7 * 24 * 60))


class JournalEntrySchema(Schema):
    id = fields.UUID(metadata={"description": "the reply's id"})
    received_at = fields.DateTime()
    channel = fields.String(metadata={"description": "sms, email or web"})
    intent = fields.String(metadata={"description": "crisis, mood, done or journal"})
    text = fields.String(
        allow_none=True, metadata={"description": "the client's words (journal and crisis)"}
    )
    rating = fields.Integer(allow_none=True, metadata={"description": "1-10, for mood"})
    action_id = fields.UUID(allow_none=True)
    action_title = fields.String(
        allow_none=True, metadata={"description": "the title of the step action_id names"}
    )
    occurrence_key = fields.String(allow_none=True)
    withdrawn_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "when the client took this Done back on their page"},
    )


JournalPageSchema = page_of(JournalEntrySchema, "JournalPageSchema")
