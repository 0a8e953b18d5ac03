"""Request and response bodies of the notifications API."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.notifications.quiet_hours import HHMM
from shared.validation import MultilineText, Schema

HhMm = fields.String(
    required=True, validate=validate.Regexp(HHMM, error="Use HH:MM (24-hour clock).")
)


class NudgeQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class NudgeSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    kind = fields.String()
    audience = fields.String(metadata={"description": "client, or coach for alerts"})
    channel = fields.String(allow_none=True)
    state = fields.String(
        metadata={
            "description": "scheduled, deferred, sending, sent, failed, suppressed, "
            "expired, cancelled"
        }
    )
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "why it was held back or failed: no_consent, suppressed:<why>, "
            "paused, quiet_hours, daily_cap, moment_passed, client_discharged, ..."
        },
    )
    due_at = fields.DateTime()
    event_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    delivery_status = fields.String(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class NudgePageSchema(Schema):
    items = fields.List(fields.Nested(NudgeSchema))
    next_cursor = fields.String(allow_none=True)


class QuietHoursSchema(Schema):
    start = HhMm
    end = fields.String(
        required=True, validate=validate.Regexp(HHMM, error="Use HH:MM (24-hour clock).")
    )


class PreferencesSchema(Schema):
    """A client's notification preferences. On PUT, fields left out keep their value."""

    quiet_hours = fields.Nested(
        QuietHoursSchema,
        metadata={"description": "local times; start equal to end means none of the client's own"},
    )
    daily_cap = fields.Integer(validate=validate.Range(min=1, max=20))
    paused_until = fields.AwareDateTime(
        allow_none=True, metadata={"description": "crisis pause: no nudges until then"}
    )
    preferred_channel = fields.String(validate=validate.OneOf(("email", "sms")))
    checkin_reminder_lead_minutes = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=10080)),
        validate=validate.Length(max=5),
    )


class PreferencesOutSchema(PreferencesSchema):
    client_id = fields.UUID()
    timezone = fields.String()
    organisation_quiet_hours_floor = fields.Nested(QuietHoursSchema, allow_none=True)


class OrganisationSettingsSchema(Schema):
    """How this organisation's messages name it, and its quiet-hours floor."""

    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    help_contact = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "how clients reach you, given in SMS HELP replies"},
    )
    quiet_hours_floor = fields.Nested(
        QuietHoursSchema,
        allow_none=True,
        metadata={"description": "quiet hours every client keeps, whatever their own setting"},
    )


class TemplateBodySchema(Schema):
    subject = fields.String(allow_none=True, validate=validate.Length(min=1, max=500))
    text = MultilineText(required=True, validate=validate.Length(min=1, max=5000))
    html = MultilineText(allow_none=True, validate=validate.Length(min=1, max=20000))


class TemplatePreviewBodySchema(Schema):
    """Leave out to preview the saved template; give one to preview a draft."""

    subject = fields.String(allow_none=True, validate=validate.Length(min=1, max=500))
    text = MultilineText(validate=validate.Length(min=1, max=5000))
    html = MultilineText(allow_none=True, validate=validate.Length(min=1, max=20000))

    @validates_schema
    def _text_with_draft(self, data, **kwargs):
        if ("subject" in data or "html" in data) and "text" not in data:
            raise ValidationError("A draft needs its text.", "text")


class TemplateSchema(Schema):
    kind = fields.String()
    channel = fields.String()
    subject = fields.String(allow_none=True)
    text = MultilineText()
    html = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "default or organisation"})
    variables = fields.List(fields.String())


class SmsSegmentsSchema(Schema):
    encoding = fields.String(metadata={"description": "GSM-7 or UCS-2"})
    units = fields.Integer()
    segments = fields.Integer()


class PreviewSchema(Schema):
    subject = fields.String(allow_none=True)
    text = MultilineText()
    html = fields.String(allow_none=True)
    sms = fields.Nested(SmsSegmentsSchema, allow_none=True)
