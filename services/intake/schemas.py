"""Request and response bodies of the intake API (marshmallow, documented in OpenAPI)."""

from __future__ import annotations

from datetime import UTC

from babel import Locale, UnknownLocaleError
from marshmallow import ValidationError, fields, validate, validates_schema

from services.intake.consent import METHODS, STAFF_METHODS
from services.intake.lifecycle import STATUSES
from services.intake.measures import K10_BANDS, K10_ITEMS, WEMWBS_ITEMS
from shared.domains import CHANNELS, LIFE_DOMAINS, ROLES
from shared.pagination import page_of, paged
from shared.validation import LifeDomain, MultilineText, Schema, TimeZoneName, WholeMatch

NonEmpty = validate.Length(min=1, max=200)


_LOCALE = {
    "description": "BCP 47 (en, es, es-MX): the language of every message and page the "
    "client receives (then its base language, the organisation's default, en)",
    "example": "es-MX",
}


def _bcp47_locale(value: str) -> None:
    """A BCP 47 locale that Babel (CLDR) knows: "es", "es-MX", "pt_BR"."""
    try:
        Locale.parse(value.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValidationError("Not a known BCP 47 locale: use e.g. en, es or es-MX.") from exc


class AdminSchema(Schema):
    name = fields.String(required=True, validate=NonEmpty)
    email = fields.Email(required=True)


class OrganisationCreateSchema(Schema):
    name = fields.String(required=True, validate=NonEmpty)
    default_region = fields.String(
        load_default="AU",
        validate=WholeMatch(r"^[A-Z]{2}$", error="Use a two-letter ISO 3166 region code."),
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
    phone = fields.String(allow_none=True)
    role = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class OrganisationCreatedSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    admin = fields.Nested(StaffSchema)
    api_key = fields.String(
        allow_none=True,
        metadata={"description": "Shown once; store it safely. Null in an idempotent replay."},
    )


class TokenRequestSchema(Schema):
    api_key = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class ConsentSchema(Schema):
    email = fields.Boolean(load_default=False)
    sms = fields.Boolean(load_default=False)


Channels = fields.List(
    fields.String(validate=validate.OneOf(CHANNELS)),
    validate=validate.Length(max=len(CHANNELS)),
    metadata={"description": "Channels to try first, in order: " + ", ".join(CHANNELS)},
)


class ClientFieldsSchema(Schema):
    """What a referral and a PATCH may set."""

    given_name = fields.String(validate=validate.Length(min=1, max=100))
    family_name = fields.String(validate=validate.Length(min=1, max=100))
    preferred_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "Read in the organisation's region; stored in E.164 form."},
    )
    timezone = TimeZoneName(metadata={"example": "Australia/Sydney"})
    locale = fields.String(
        validate=[validate.Length(min=2, max=16), _bcp47_locale], metadata=_LOCALE
    )
    preferred_channels = Channels
    external_reference = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "e.g. a funding-scheme participant number; unique per organisation"
        },
    )
    referral_source = fields.String(allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _channels_once(self, data, **kwargs):
        channels = data.get("preferred_channels") or []
        if len(set(channels)) != len(channels):
            raise ValidationError("Name each channel once.", "preferred_channels")


class ClientCreateSchema(ClientFieldsSchema):
    given_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    family_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    preferred_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "Read in the organisation's region; stored in E.164 form."},
    )
    timezone = TimeZoneName(required=True, metadata={"example": "Australia/Sydney"})
    locale = fields.String(
        load_default="en",
        validate=[validate.Length(min=2, max=16), _bcp47_locale],
        metadata=_LOCALE,
    )
    preferred_channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        load_default=list,
        validate=validate.Length(max=len(CHANNELS)),
    )
    external_reference = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=100)
    )
    referral_source = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    consent = fields.Nested(ConsentSchema, load_default=lambda: {"email": False, "sms": False})


class ClientPatchSchema(ClientFieldsSchema):
    coach_id = fields.UUID(allow_none=True)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Name at least one field to change.", "_schema")


PHONE_CONFIRMED = (
    "Whether the person with this phone confirmed, by replying, that this record is theirs; "
    "until then their texts are not filed under it."
)


class ClientSchema(Schema):
    id = fields.UUID()
    given_name = fields.String()
    family_name = fields.String()
    preferred_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    # A function of the row: ``GET`` reads a plain row, not the model.
    phone_confirmed = fields.Function(
        lambda client: client.phone_confirmed_at is not None,
        metadata={"type": "boolean", "description": PHONE_CONFIRMED},
    )
    phone_confirmed_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "When they confirmed it; null while not confirmed."},
    )
    timezone = fields.String()
    locale = fields.String()
    preferred_channels = fields.List(fields.String())
    external_reference = fields.String(allow_none=True)
    referral_source = fields.String(allow_none=True)
    consent = fields.Method("_consent")
    status = fields.String(validate=validate.OneOf(STATUSES))
    coach_id = fields.UUID(allow_none=True)
    referred_by = fields.UUID()
    discharge_reason = fields.String(allow_none=True)
    discharged_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()

    def _consent(self, client) -> dict:
        return {"email": client.consent_email, "sms": client.consent_sms}


@paged
class ClientQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    coach_id = fields.UUID()
    updated_since = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "ISO 8601; UTC when no offset is given"}
    )


ClientPageSchema = page_of(ClientSchema, "ClientPageSchema")


class DischargeSchema(Schema):
    reason = MultilineText(required=True, validate=validate.Length(min=1, max=2000))


class ConsentChangeSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    granted = fields.Boolean(required=True)
    method = fields.String(
        required=True,
        validate=validate.OneOf(STAFF_METHODS),
        metadata={"description": "How staff learnt it; clients opt out by SMS keyword or link."},
    )


class ConsentRecordSchema(Schema):
    id = fields.UUID()
    channel = fields.String()
    granted = fields.Boolean()
    method = fields.String(validate=validate.OneOf(METHODS))
    recorded_by = fields.UUID(allow_none=True)
    occurred_at = fields.DateTime()


class ConsentStateSchema(Schema):
    current = fields.Nested(ConsentSchema)
    records = fields.List(fields.Nested(ConsentRecordSchema))


class AuditEntrySchema(Schema):
    id = fields.UUID()
    action = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    actor_id = fields.UUID(allow_none=True, metadata={"description": "Null: the client, by event"})
    created_at = fields.DateTime()


AuditPageSchema = page_of(AuditEntrySchema, "AuditPageSchema")


# -- staff and keys -------------------------------------------------------------------------


class StaffCreateSchema(Schema):
    name = fields.String(required=True, validate=NonEmpty)
    email = fields.Email(required=True, validate=validate.Length(max=320))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class StaffPatchSchema(Schema):
    name = fields.String(validate=NonEmpty)
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Name at least one field to change.", "_schema")


class StaffCreatedSchema(Schema):
    staff = fields.Nested(StaffSchema)
    api_key = fields.String(
        allow_none=True,
        metadata={"description": "Shown once; store it safely. Null in an idempotent replay."},
    )


@paged
class StaffQuerySchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


StaffPageSchema = page_of(StaffSchema, "StaffPageSchema")


class ApiKeySchema(Schema):
    id = fields.UUID()
    staff_id = fields.UUID()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class ApiKeyListSchema(Schema):
    items = fields.List(fields.Nested(ApiKeySchema))


class ApiKeyIssuedSchema(ApiKeySchema):
    api_key = fields.String(
        allow_none=True,
        metadata={"description": "Shown once; store it safely. Null in an idempotent replay."},
    )


# -- assessment -----------------------------------------------------------------------------


def _items(count: int):
    return fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=5)),
        required=True,
        validate=validate.Length(equal=count),
        metadata={"description": f"{count} item scores, 1-5 each, in questionnaire order"},
    )


class K10InputSchema(Schema):
    items = _items(K10_ITEMS)


class WemwbsInputSchema(Schema):
    items = _items(WEMWBS_ITEMS)


class AspirationSchema(Schema):
    domain = LifeDomain(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


def _texts():
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=500)),
        load_default=list,
        validate=validate.Length(max=50),
    )


class AssessmentInputSchema(Schema):
    domain_ratings = fields.Dict(
        keys=LifeDomain(),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=10)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "1-10 per life domain: " + ", ".join(LIFE_DOMAINS)},
    )
    strengths = _texts()
    challenges = _texts()
    aspirations = fields.List(
        fields.Nested(AspirationSchema), load_default=list, validate=validate.Length(max=50)
    )
    support_network = MultilineText(
        load_default=None, allow_none=True, validate=validate.Length(max=5000)
    )
    history = MultilineText(load_default=None, allow_none=True, validate=validate.Length(max=10000))
    risk_notes = MultilineText(
        load_default=None, allow_none=True, validate=validate.Length(max=5000)
    )
    k10 = fields.Nested(K10InputSchema, load_default=None, allow_none=True)
    wemwbs = fields.Nested(WemwbsInputSchema, load_default=None, allow_none=True)


class K10Schema(Schema):
    items = fields.List(fields.Integer())
    total = fields.Integer(metadata={"description": "10-50"})
    band = fields.String(
        validate=validate.OneOf(tuple(band for _, band in K10_BANDS)),
        metadata={"description": "10-15 low, 16-21 moderate, 22-29 high, 30-50 very_high"},
    )


class WemwbsSchema(Schema):
    items = fields.List(fields.Integer())
    total = fields.Integer(metadata={"description": "14-70"})


class AssessmentSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    domain_ratings = fields.Dict(keys=fields.String(), values=fields.Integer())
    strengths = fields.List(fields.String())
    challenges = fields.List(fields.String())
    aspirations = fields.List(fields.Nested(AspirationSchema))
    support_network = fields.String(allow_none=True)
    history = fields.String(allow_none=True)
    risk_notes = fields.String(allow_none=True)
    k10 = fields.Nested(K10Schema, allow_none=True)
    wemwbs = fields.Nested(WemwbsSchema, allow_none=True)
    assessed_by = fields.UUID()
    created_at = fields.DateTime()


class AssessmentHistorySchema(Schema):
    items = fields.List(fields.Nested(AssessmentSchema))


class OnboardSchema(Schema):
    coach_id = fields.UUID(required=True)
