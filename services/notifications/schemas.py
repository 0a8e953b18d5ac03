"""Request and response bodies of the notifications API."""

import phonenumbers
from marshmallow import ValidationError, fields, validate, validates_schema

from services.notifications import nudge_reasons
from services.notifications.quiet_hours import HHMM
from services.notifications.weekly_digest import WEEKDAYS
from shared.pagination import page_of
from shared.validation import MultilineText, Schema, WholeMatch

MAX_SENDER_NUMBERS = 10


def _e164(value: str) -> None:
    """A full international number in E.164 form, as providers give it in ``To``."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Use the international E.164 form, e.g. +61400000000.") from exc
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value or not phonenumbers.is_possible_number(number):
        raise ValidationError("Use the international E.164 form, e.g. +61400000000.")


HhMm = fields.String(required=True, validate=WholeMatch(HHMM, error="Use HH:MM (24-hour clock)."))


class NudgeSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    kind = fields.String()
    audience = fields.String(metadata={"description": "client, or coach for alerts"})
    channel = fields.String(allow_none=True)
    state = fields.String(
        metadata={
            "description": "scheduled, deferred, sending, sent, failed, suppressed, "
            "expired, cancelled, skipped"
        }
    )
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "why it was held back or failed: no_consent, suppressed:<why>, "
            "paused, quiet_hours, daily_cap, moment_passed, client_discharged, "
            "nothing_to_say (a weekly digest of an empty week), rescheduled, digest_off, "
            "mood_prompts_off, ..."
        },
    )
    reason_text = fields.Function(
        lambda nudge: nudge_reasons.in_words(nudge.state, nudge.reason),
        metadata={"description": "the state and its reason in words, for a person"},
    )
    due_at = fields.DateTime()
    event_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    delivery_status = fields.String(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


NudgePageSchema = page_of(NudgeSchema, "NudgePageSchema")


class QuietHoursSchema(Schema):
    start = HhMm
    end = fields.String(
        required=True, validate=WholeMatch(HHMM, error="Use HH:MM (24-hour clock).")
    )


class WeeklyDigestSchema(Schema):
    weekday = fields.String(
        required=True,
        validate=validate.OneOf(WEEKDAYS, error="Use one of: mon, tue, wed, thu, fri, sat, sun."),
    )
    local_time = fields.String(
        required=True,
        validate=WholeMatch(HHMM, error="Use HH:MM (24-hour clock)."),
        metadata={"description": "the client's own local time"},
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
    preferred_channel = fields.String(
        validate=validate.OneOf(("email", "sms")),
        metadata={
            "description": "tried first, the other consented channel as fallback; starts as "
            "the first of the client's preferred channels in intake, and follows them when "
            "they change there"
        },
    )
    checkin_reminder_lead_minutes = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=10080)),
        validate=validate.Length(max=5),
    )
    weekly_digest = fields.Nested(
        WeeklyDigestSchema,
        allow_none=True,
        metadata={
            "description": "when the client's weekly digest goes (default Sunday 17:00 "
            "local), or null for none"
        },
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
    sender_numbers = fields.List(
        fields.String(validate=_e164),
        allow_none=True,
        validate=validate.Length(max=MAX_SENDER_NUMBERS),
        metadata={
            "description": "the organisation's own SMS sending numbers (E.164, e.g. "
            "+61400000000), unique across organisations: everything it sends by SMS goes "
            "from the first, and texts to any of them are its clients' alone. Empty: the "
            "platform's shared number"
        },
    )
    alert_naming = fields.String(
        validate=validate.OneOf(("full_name", "initials")),
        metadata={
            "description": "how a coach's crisis alert names the client: preferred (or "
            "given) and family name, or initials"
        },
    )

    @validates_schema
    def _distinct_numbers(self, data, **_kwargs):
        numbers = data.get("sender_numbers") or []
        if len(set(numbers)) != len(numbers):
            raise ValidationError("A number is listed twice.", "sender_numbers")


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


def _readable_phrase(value: str) -> None:
    from services.notifications.reply_parsing import normalised

    if not normalised(value):
        raise ValidationError("A phrase needs at least one letter or digit.")


class CrisisSettingsSchema(Schema):
    """What makes a client's reply a crisis message, and the text they get at once."""

    phrases = fields.List(
        fields.String(validate=[validate.Length(min=2, max=100), _readable_phrase]),
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={
            "description": "matched as whole words, whatever the case or punctuation; "
            "null or [] restores the defaults"
        },
    )
    crisis_text = fields.String(
        allow_none=True,
        validate=validate.Length(min=10, max=480),
        metadata={"description": "sent to the client at once, any hour; null restores the default"},
    )


class CrisisSettingsOutSchema(CrisisSettingsSchema):
    phrases_are_default = fields.Boolean()
    text_is_default = fields.Boolean()


class UnroutedMessageSchema(Schema):
    """A crisis text from a number no confirmed client record has; already answered with
    the crisis text."""

    id = fields.UUID()
    received_at = fields.AwareDateTime()
    to_number = fields.String()
    from_phone = fields.String()
    why = fields.String(
        metadata={
            "description": "unknown: no record has the number; unconfirmed: records "
            "have it, none confirmed by the person"
        }
    )
    text = fields.String()
