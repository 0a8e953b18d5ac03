"""Request and response bodies of the intake API (marshmallow, documented in OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.domains import LIFE_DOMAINS
from shared.validation import LifeDomain, TimeZoneName

NonEmpty = validate.Length(min=1, max=200)


class AdminSchema(Schema):
    name = fields.String(required=True, validate=NonEmpty)
    email = fields.Email(required=True)


class OrganisationCreateSchema(Schema):
    name = fields.String(required=True, validate=NonEmpty)
    default_region = fields.String(
        load_default="AU",
        validate=validate.Regexp(r"^[A-Z]{2}$", error="Use a two-letter ISO 3166 region code."),
        metadata={"description": "Region used to read phone numbers written without +country."},
    )
    admin = fields.Nested(AdminSchema, required=True)


class OrganisationSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    default_region = fields.String()
    created_at = fields.DateTime()


class StaffSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    email = fields.Email()
    role = fields.String()


class OrganisationCreatedSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    admin = fields.Nested(StaffSchema)
    api_key = fields.String(metadata={"description": "Shown once; store it safely."})


class TokenRequestSchema(Schema):
    api_key = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class ConsentSchema(Schema):
    email = fields.Boolean(load_default=False)
    sms = fields.Boolean(load_default=False)


class ClientCreateSchema(Schema):
    given_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    family_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    preferred_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "Stored in E.164 form."},
    )
    timezone = TimeZoneName(required=True, metadata={"example": "Australia/Sydney"})
    locale = fields.String(load_default="en", validate=validate.Length(min=2, max=16))
    consent = fields.Nested(ConsentSchema, load_default=lambda: {"email": False, "sms": False})


class ClientSchema(Schema):
    id = fields.UUID()
    given_name = fields.String()
    family_name = fields.String()
    preferred_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    timezone = fields.String()
    locale = fields.String()
    consent = fields.Method("_consent")
    status = fields.String()
    coach_id = fields.UUID(allow_none=True)
    referred_by = fields.UUID()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()

    def _consent(self, client) -> dict:
        return {"email": client.consent_email, "sms": client.consent_sms}


class AspirationSchema(Schema):
    domain = LifeDomain(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class AssessmentInputSchema(Schema):
    domain_ratings = fields.Dict(
        keys=LifeDomain(),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=10)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "1-10 per life domain: " + ", ".join(LIFE_DOMAINS)},
    )
    strengths = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)), load_default=list
    )
    challenges = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)), load_default=list
    )
    aspirations = fields.List(fields.Nested(AspirationSchema), load_default=list)
    history = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))


class AssessmentSchema(AssessmentInputSchema):
    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    assessed_by = fields.UUID()
    created_at = fields.DateTime()


class OnboardSchema(Schema):
    coach_id = fields.UUID(required=True)
