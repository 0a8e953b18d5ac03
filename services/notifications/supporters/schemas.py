"""Request and response bodies of the supporters' API."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.notifications.schemas import _e164
from services.notifications.supporters import rules
from shared.pagination import page_of
from shared.validation import Schema, TimeZoneName


class ConsentGivenSchema(Schema):
    method = fields.String(
        required=True,
        validate=validate.OneOf(rules.STAFF_CONSENT_METHODS),
        metadata={"description": "How the client gave it to you: form or verbal."},
    )


class SupporterInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    relationship = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=50)
    )
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=32), _e164],
        metadata={"description": "E.164, e.g. +61400000000"},
    )
    timezone = TimeZoneName(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "The supporter's own (quiet hours); the client's if left out"},
    )
    scopes = fields.List(
        fields.String(validate=validate.OneOf(rules.SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(rules.SCOPES)),
    )
    consent = fields.Nested(
        ConsentGivenSchema,
        required=True,
        metadata={"description": "The client's consent to adding this supporter."},
    )
    crisis_consent = fields.Nested(
        ConsentGivenSchema,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The client's own consent to the crisis scope: without it the "
            "scope tells the supporter nothing."
        },
    )

    @validates_schema
    def _reachable(self, data, **_kwargs):
        if not data.get("email") and not data.get("phone"):
            raise ValidationError("An email address or a phone number is required.", "phone")


class ConsentOutSchema(Schema):
    method = fields.String()
    recorded_by = fields.UUID(allow_none=True)
    at = fields.DateTime()


class SupporterSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    name = fields.String(allow_none=True)
    relationship = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    timezone = fields.String()
    scopes = fields.List(fields.String())
    state = fields.String(metadata={"description": "invited, active or removed"})
    consent = fields.Nested(ConsentOutSchema)
    crisis_consent = fields.Nested(ConsentOutSchema, allow_none=True)
    invited_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)
    removed_at = fields.DateTime(allow_none=True)
    removed_by = fields.String(allow_none=True)


class SupporterListSchema(Schema):
    items = fields.List(fields.Nested(SupporterSchema))


class DisclosureSchema(Schema):
    id = fields.UUID()
    supporter_id = fields.UUID()
    supporter_name = fields.String(allow_none=True)
    kind = fields.String()
    scope = fields.String(allow_none=True)
    channel = fields.String()
    to = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    consent = fields.Dict(allow_none=True)
    disclosed_at = fields.DateTime()


DisclosurePageSchema = page_of(DisclosureSchema, "DisclosurePageSchema")
