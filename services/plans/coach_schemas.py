"""Request and response bodies of what the coach sees: the caseload and the review report."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.plans.limits import QUOTES_PER_REPORT, REPORT_NOTES_LENGTH
from shared.pagination import page_of, paged

# PostgreSQL text cannot hold NUL: refused here as a field error, not at the database.
NotesText = validate.And(
    validate.Length(max=REPORT_NOTES_LENGTH),
    validate.Regexp(r"^[^\x00]*$", error="Must not contain NUL characters."),
)
# Any period inside these years costs the same (the plan's own rows are read either way);
# the bounds keep date arithmetic away from the ends of the calendar.
ReportDay = validate.Range(date(2000, 1, 1), date(2099, 12, 31))


# The caseload reads a cursor of its own (``caseload.py``): one too long is a field error.
@paged(cursor=fields.String(load_default=None, validate=validate.Length(max=200)))
class CaseloadQuerySchema(Schema):
    coach_id = fields.UUID(
        load_default=None, metadata={"description": "Org admins: one coach's clients."}
    )


class WellbeingReadingSchema(Schema):
    value = fields.Integer()
    source = fields.String(metadata={"description": "checkin, or client (their own rating)"})
    at = fields.DateTime()


class WeekCompletionSchema(Schema):
    since = fields.DateTime(metadata={"description": "The past seven days, up to now."})
    due = fields.Integer()
    completed = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "Null when nothing was due."})


class CaseloadRowSchema(Schema):
    client_id = fields.UUID()
    display_name = fields.String(allow_none=True)
    coach_id = fields.UUID()
    coach_name = fields.String(allow_none=True)
    plan_id = fields.UUID()
    plan_status = fields.String()
    risk_flagged = fields.Boolean()
    risk_reason = fields.String(allow_none=True)
    crisis_alert = fields.String(
        allow_none=True,
        metadata={
            "description": "open: a crisis alert nobody has acknowledged; acknowledged: one "
            "not yet resolved; null: none. Such clients come first"
        },
    )
    phone_confirmed = fields.Boolean(
        metadata={
            "description": "Whether the person with the client's phone confirmed, by replying, "
            "that this record is theirs; until then their texts are not filed under it."
        }
    )
    last_contact_at = fields.DateTime(
        allow_none=True, metadata={"description": "The last attended check-in."}
    )
    next_checkin_at = fields.DateTime(allow_none=True)
    overdue_actions = fields.Integer()
    latest_wellbeing = fields.Nested(WellbeingReadingSchema, allow_none=True)
    week_completion = fields.Nested(WeekCompletionSchema)
    review_due_on = fields.Date(allow_none=True)


CaseloadPageSchema = page_of(CaseloadRowSchema, "CaseloadPageSchema")


class ReportQuerySchema(Schema):
    from_ = fields.Date(
        data_key="from",
        load_default=None,
        validate=ReportDay,
        metadata={"description": "First day (the client's calendar); default the plan's start."},
    )
    to = fields.Date(
        load_default=None, validate=ReportDay, metadata={"description": "Last day; default today."}
    )

    @validates_schema
    def _a_period(self, data, **_):
        start, end = data.get("from_"), data.get("to")
        if start and end and end < start:
            raise ValidationError({"to": ["Must not be before from."]})


class ReportNotesSchema(Schema):
    summary = fields.String(required=True, allow_none=True, validate=NotesText)
    recommendations = fields.String(required=True, allow_none=True, validate=NotesText)
    quoted_entries = fields.List(
        fields.UUID(),
        validate=validate.Length(max=QUOTES_PER_REPORT),
        metadata={
            "description": (
                "Ids of this plan's journal entries the report quotes, with their date (the "
                f"participant's own words; at most {QUOTES_PER_REPORT}). Absent: unchanged."
            )
        },
    )
    updated_at = fields.DateTime(dump_only=True, allow_none=True)
