"""Request and response bodies of the notifications API."""

import phonenumbers
from marshmallow import ValidationError, fields, validate, validates_schema

from services.notifications.wording import nudge_reasons
from services.notifications.wording.locales import MAX_LOCALE_LENGTH, LocaleInvalid, parsed
from shared.localtime import HHMM, WEEKDAYS
from shared.pagination import page_of, paged
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


def _locale(value: str) -> None:
    """A BCP 47 locale Babel knows ("es", "es-MX")."""
    try:
        parsed(value)
    except LocaleInvalid as exc:
        raise ValidationError(str(exc)) from exc


def locale_field(**kwargs) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=2, max=MAX_LOCALE_LENGTH), _locale], **kwargs
    )


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
        lambda nudge: nudge_reasons.in_words(nudge["state"], nudge["reason"]),
        metadata={"description": "the state and its reason in words, for a person"},
    )
    will_use_channel = fields.String(
        allow_none=True,
        metadata={
            "description": "while scheduled or deferred: the channel it would go by now, "
            "given the client's consent and preferred channel (null: no consented channel, "
            "or no longer pending)"
        },
    )
    due_at = fields.DateTime()
    event_at = fields.DateTime(allow_none=True)
    locale_used = fields.String(
        allow_none=True,
        metadata={
            "description": "the language its message was written in, once written: the "
            "client's locale, its base language, the organisation's default or en, the "
            "first the platform or the organisation's templates speak"
        },
    )
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
    default_locale = locale_field(
        allow_none=True,
        metadata={
            "description": "BCP 47: the language of messages to a client whose own locale "
            "the platform does not speak (after its base language); null is en"
        },
    )

    @validates_schema
    def _distinct_numbers(self, data, **_kwargs):
        numbers = data.get("sender_numbers") or []
        if len(set(numbers)) != len(numbers):
            raise ValidationError("A number is listed twice.", "sender_numbers")


class TemplateLocaleQuerySchema(Schema):
    locale = locale_field(
        metadata={
            "description": "BCP 47 (es, es-MX): the template in that language; left out, "
            "the organisation's default locale (en if none)"
        }
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
    locale = fields.String(metadata={"description": "the locale asked for"})
    locale_used = fields.String(
        metadata={
            "description": "the language of the wording shown: the organisation's template's "
            "or, without one, the platform's wording in the nearest language it speaks"
        }
    )
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
    encoding = fields.String(
        allow_none=True, metadata={"description": "SMS only: GSM-7 or UCS-2 (null for email)"}
    )
    segments = fields.Integer(allow_none=True, metadata={"description": "SMS only"})
    locale_used = fields.String(metadata={"description": "the language it is written in"})


def _crisis_phrase(value: str) -> None:
    """An organisation's own crisis phrase: specific enough to mean a crisis."""
    from services.notifications.replies.crisis_rules import refusal_of_phrase

    if problem := refusal_of_phrase(value):
        raise ValidationError(problem)


def _number_to_call(value: str) -> None:
    from services.notifications.replies.crisis_rules import refusal_of_crisis_text

    if problem := refusal_of_crisis_text(value):
        raise ValidationError(problem)


def _region(value: str) -> None:
    from services.notifications.replies.crisis_rules import refusal_of_region

    if problem := refusal_of_region(value):
        raise ValidationError(problem)


def _on_call(value: str) -> None:
    from services.notifications.replies.crisis_rules import refusal_of_on_call

    if problem := refusal_of_on_call(value):
        raise ValidationError(problem)


class CrisisSettingsSchema(Schema):
    """The organisation's own crisis settings: phrases read as a crisis on top of the
    platform's patterns, and the text a client gets at once (who to call)."""

    phrases = fields.List(
        fields.String(validate=[validate.Length(min=2, max=100), _crisis_phrase]),
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={
            "description": "read as a crisis IN ADDITION to the platform's patterns, as whole "
            "words whatever the case, look-alike letters or punctuation; each at least 2 "
            "words or 6 letters, and matching at most 1% of everyday replies; null or [] "
            "for none"
        },
    )
    crisis_text = fields.String(
        allow_none=True,
        validate=[validate.Length(min=10, max=480), _number_to_call],
        metadata={
            "description": "sent at once to a client whose region has no text of its own; "
            "must give a number to call; null restores the platform's"
        },
    )
    crisis_texts = fields.Dict(
        keys=fields.String(validate=_region),
        values=fields.String(validate=[validate.Length(min=10, max=480), _number_to_call]),
        allow_none=True,
        validate=validate.Length(max=250),
        metadata={
            "description": "crisis text by the client's country (ISO 3166 alpha-2, like GB or "
            "AU), each with a number to call, tried before any other; null or {} for none"
        },
    )
    acknowledge_within_minutes = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=120),
        metadata={
            "description": "a crisis alert not acknowledged within this many minutes (1-120, "
            "any hour) goes to the on-call list, and again at each next window; null "
            "restores the default, 15"
        },
    )
    on_call = fields.List(
        fields.String(validate=[validate.Length(min=3, max=254), _on_call]),
        allow_none=True,
        validate=validate.Length(max=10),
        metadata={
            "description": "who an unacknowledged crisis alert goes to: up to 10 email "
            "addresses and/or E.164 phones; null or [] for the organisation's admins"
        },
    )


class CrisisCategorySchema(Schema):
    name = fields.String()
    description = fields.String()
    examples = fields.List(fields.String())


class CrisisDefaultsSchema(Schema):
    """The platform's crisis patterns and texts, which every organisation has."""

    patterns_version = fields.String()
    categories = fields.List(fields.Nested(CrisisCategorySchema))
    crisis_text = fields.String(metadata={"description": "for a region without a text"})
    crisis_texts = fields.Dict(keys=fields.String(), values=fields.String())
    crisis_texts_version = fields.String()


class CrisisSettingsOutSchema(CrisisSettingsSchema):
    text_is_default = fields.Boolean(
        metadata={"description": "true when the organisation has no general text of its own"}
    )
    defaults = fields.Nested(CrisisDefaultsSchema)


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


@paged
class AlertQuerySchema(Schema):
    state = fields.String(
        load_default=None,
        validate=validate.OneOf(("open", "acknowledged", "resolved")),
        metadata={"description": "only alerts in this state (open: nobody acknowledged yet)"},
    )


class ResolveAlertSchema(Schema):
    note = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "how it ended, in short (health data: never logged)"},
    )


class CrisisAlertSchema(Schema):
    """A crisis alert and who owns it: ``open`` until a coach or admin acknowledges it,
    then ``resolved`` with a short note."""

    id = fields.UUID()
    client_id = fields.UUID()
    client_name = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "open, acknowledged or resolved"})
    opened_at = fields.AwareDateTime()
    last_message_at = fields.AwareDateTime()
    message_count = fields.Integer()
    escalate_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "when it goes to the on-call list next, if still open"},
    )
    escalations = fields.Integer(metadata={"description": "times it went to the on-call list"})
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    acknowledged_by = fields.UUID(
        allow_none=True, metadata={"description": "null: by the on-call list's link"}
    )
    acknowledged_via = fields.String(
        allow_none=True, metadata={"description": "api, link (the coach's) or on_call_link"}
    )
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolved_by = fields.UUID(allow_none=True)
    note = fields.String(allow_none=True)


CrisisAlertPageSchema = page_of(CrisisAlertSchema, "CrisisAlertPageSchema")
