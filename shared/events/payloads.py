"""Marshmallow schemas of event payloads, one per (type, version).

A schema is added for a new version, never changed in place. Payloads carry personal
data only where the consuming service needs it (e.g. notifications needs an address).
"""

from marshmallow import Schema, fields, validate

from shared.domains import LIFE_DOMAINS

Domain = validate.OneOf(LIFE_DOMAINS)


class ConsentSchema(Schema):
    email = fields.Boolean(required=True)
    sms = fields.Boolean(required=True)


class ContactSchema(Schema):
    """What notifications needs to reach a client."""

    given_name = fields.String(required=True)
    preferred_name = fields.String(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    timezone = fields.String(required=True)
    locale = fields.String(load_default="en")
    consent = fields.Nested(ConsentSchema, required=True)


class AspirationSchema(Schema):
    domain = fields.String(required=True, validate=Domain)
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class AssessmentSummarySchema(Schema):
    version = fields.Integer(required=True)
    domain_ratings = fields.Dict(
        keys=fields.String(validate=Domain),
        values=fields.Integer(validate=validate.Range(1, 10)),
        required=True,
    )
    strengths = fields.List(fields.String(), load_default=list)
    challenges = fields.List(fields.String(), load_default=list)
    aspirations = fields.List(fields.Nested(AspirationSchema), load_default=list)


class ClientReferredV1(Schema):
    client_id = fields.UUID(required=True)
    contact = fields.Nested(ContactSchema, required=True)


class ClientOnboardedV1(Schema):
    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    timezone = fields.String(required=True)
    contact = fields.Nested(ContactSchema, required=True)
    assessment = fields.Nested(AssessmentSummarySchema, required=True)


class PlanCreatedV1(Schema):
    plan_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    goal_count = fields.Integer(required=True)


class NotificationOutcomeV1(Schema):
    nudge_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    channel = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)
