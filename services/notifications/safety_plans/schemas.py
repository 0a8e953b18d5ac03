"""Request and response bodies of the safety plan's API: the six sections, bounded."""

from __future__ import annotations

from marshmallow import fields, validate

from services.notifications.safety_plans.sections import (
    MAX_ITEM_LENGTH,
    MAX_ITEMS,
    MAX_NAME_LENGTH,
    MAX_PHONE_LENGTH,
)
from shared.pagination import page_of
from shared.validation import Schema, WholeMatch

PHONE = r"^\+?[0-9][0-9 ()\-.]*$"


def _not_blank(text: str) -> None:
    if not text.strip():
        from marshmallow import ValidationError

        raise ValidationError("Must not be blank.")


def _items(description: str):
    return fields.List(
        fields.String(validate=[validate.Length(min=1, max=MAX_ITEM_LENGTH), _not_blank]),
        load_default=list,
        validate=validate.Length(max=MAX_ITEMS),
        metadata={
            "description": f"{description} (at most {MAX_ITEMS}, each up to "
            f"{MAX_ITEM_LENGTH} characters)"
        },
    )


class ContactItemSchema(Schema):
    """Someone to call: a name and, if the client has it, a phone number."""

    name = fields.String(
        required=True, validate=[validate.Length(min=1, max=MAX_NAME_LENGTH), _not_blank]
    )
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(min=3, max=MAX_PHONE_LENGTH),
            WholeMatch(PHONE, error="Digits, spaces, +, (, ), - and . only."),
        ],
    )


def _contacts(description: str):
    return fields.List(
        fields.Nested(ContactItemSchema),
        load_default=list,
        validate=validate.Length(max=MAX_ITEMS),
        metadata={"description": f"{description} (at most {MAX_ITEMS})"},
    )


class SafetyPlanSectionsSchema(Schema):
    """The six sections of a safety plan, in order; a section left out is empty."""

    warning_signs = _items(
        "Thoughts, images, moods, situations or behaviours that a crisis may be developing"
    )
    coping_strategies = _items("Things I can do on my own to take my mind off my problems")
    distractions = _items("People and social places that take my mind off things")
    help_contacts = _contacts("People I can ask for help")
    professionals = _contacts(
        "Professionals and services to contact in a crisis; the organisation's crisis line "
        "always comes first where the plan is shown or sent (``crisis_line``)"
    )
    safe_environment = _items("Making my surroundings safe")


class SafetyPlanSchema(SafetyPlanSectionsSchema):
    """A version of the client's safety plan."""

    client_id = fields.UUID(dump_only=True)
    version = fields.Integer(dump_only=True)
    current_version = fields.Integer(dump_only=True)
    author = fields.String(dump_only=True, metadata={"description": "staff or client"})
    author_id = fields.UUID(
        dump_only=True, allow_none=True, metadata={"description": "the staff member, if staff"}
    )
    created_at = fields.DateTime(dump_only=True)
    client_acknowledged_at = fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "when the client confirmed the current version on their page "
            "(null until they do; a new version by staff resets it)"
        },
    )
    crisis_line = fields.String(
        dump_only=True,
        metadata={"description": "the organisation's crisis text, first of professionals"},
    )


class SafetyPlanQuerySchema(Schema):
    version = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2_000_000_000),
        metadata={"description": "an earlier version (default: the current one)"},
    )


class SafetyPlanVersionSchema(Schema):
    """One version, as the list shows it (its sections: ``?version=``)."""

    version = fields.Integer()
    author = fields.String()
    author_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()


SafetyPlanVersionPageSchema = page_of(SafetyPlanVersionSchema, "SafetyPlanVersionPageSchema")
