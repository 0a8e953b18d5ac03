"""Notifications' HTTP API for staff: nudges, preferences, organisation settings, templates."""

from __future__ import annotations

import uuid

from services.notifications import schemas, use_cases
from services.notifications.wording.kinds import KINDS
from services.notifications.wording.templates import (
    RenderedMessage,
    TemplateInvalid,
    check_template,
    sms_segments,
    template_parts,
)
from shared.errors import Conflict, NotFound, Unprocessable
from shared.pagination import PageQuerySchema
from shared.runtime import current_runtime
from shared.use_case import as_caller
from shared.web.endpoints import ADMIN, STAFF, ApiBlueprint

nudges = ApiBlueprint("nudges", __name__, roles=STAFF, description="Nudges sent to clients")
preferences = ApiBlueprint(
    "preferences", __name__, roles=STAFF, description="A client's notification preferences"
)
organisation = ApiBlueprint(
    "organisation", __name__, roles=ADMIN, description="Organisation-wide settings"
)
templates = ApiBlueprint(
    "templates", __name__, roles=ADMIN, description="Message templates and overrides"
)


# -- nudges -------------------------------------------------------------------------------


@nudges.get(
    "/clients/<uuid:client_id>/notifications",
    query=PageQuerySchema,
    response=schemas.NudgePageSchema,
)
def list_notifications(query, client_id: uuid.UUID):
    """Every nudge of a client you may see, oldest first, with its state.

    Org admins see their organisation's clients; a coach those assigned to or referred by
    them. Any other client is a 404."""
    return as_caller(use_cases.list_notifications, client_id, query)


# -- preferences --------------------------------------------------------------------------


@preferences.get("/clients/<uuid:client_id>/preferences", response=schemas.PreferencesOutSchema)
def get_preferences(client_id: uuid.UUID):
    """Quiet hours, daily cap, pause, preferred channel, check-in reminder lead times and
    the weekly digest's local day and time."""
    return as_caller(use_cases.preferences, client_id)


@preferences.put(
    "/clients/<uuid:client_id>/preferences",
    body=schemas.PreferencesSchema,
    response=schemas.PreferencesOutSchema,
    errors=(409,),
)
def put_preferences(body, client_id: uuid.UUID):
    """Change a client's preferences; fields left out keep their value.

    The organisation's quiet-hours floor always applies on top of the client's own. A
    preferred channel set here holds until the client's preferred channels change in
    intake. A new weekly digest time moves the pending digest; null stops it.
    """
    return as_caller(use_cases.change_preferences, client_id, body)


# -- organisation settings ----------------------------------------------------------------


@organisation.get(
    "/organisation/notification-settings", response=schemas.OrganisationSettingsSchema
)
def get_settings():
    """How messages name your organisation, how clients reach you, the quiet-hours floor."""
    return as_caller(use_cases.organisation_settings)


@organisation.put(
    "/organisation/notification-settings",
    body=schemas.OrganisationSettingsSchema,
    response=schemas.OrganisationSettingsSchema,
    errors=(409,),
)
def put_settings(body):
    """Change them; fields left out keep their value. A sending number another
    organisation has, or the platform's shared one, is a 409."""
    settings = current_runtime().settings
    shared = {n for n in (settings.sms_from, settings.sms_fallback_from) if n}
    for number in body.get("sender_numbers") or []:
        if number in shared:  # it would take every organisation's replies
            raise Conflict(
                f"The sending number {number} is the platform's shared number.",
                errors={"sender_numbers": ["The platform's shared number is no one's own."]},
            )
    return as_caller(use_cases.change_organisation_settings, body)


# -- templates ----------------------------------------------------------------------------


def _template_key(kind: str, channel: str) -> None:
    spec = KINDS.get(kind)
    if spec is None or channel not in spec.channels or spec.fixed:
        # What a supporter is told is fixed: no organisation's template for it.
        raise NotFound(f"No template for kind {kind!r} on channel {channel!r}.")


def _checked(
    kind: str, channel: str, body: dict, locale: str = "en"
) -> tuple[dict, RenderedMessage]:
    """The template's parts, and their rendering with sample data; 422 naming what is
    wrong, and for a limit the limit."""
    parts = {part: body.get(part) for part in template_parts(channel)}
    extra = sorted(set(body) - set(template_parts(channel)))
    if extra:
        raise Unprocessable(
            "An SMS template has only a text.",
            errors={name: [f"Not used on {channel}."] for name in extra},
        )
    try:
        sample = check_template(kind, channel, parts, locale)
    except TemplateInvalid as exc:
        raise Unprocessable(exc.detail, errors=exc.errors) from exc
    return parts, sample


@templates.get(
    "/templates/<string:kind>/<string:channel>",
    query=schemas.TemplateLocaleQuerySchema,
    response=schemas.TemplateSchema,
)
def get_template(query, kind: str, channel: str):
    """The template your organisation uses for a kind on a channel in a language
    (``?locale=es``; left out, your default locale), and its variables. Without one of
    your own, the platform's wording in the nearest language it speaks."""
    _template_key(kind, channel)
    return as_caller(use_cases.template, kind, channel, query.get("locale"))


@templates.put(
    "/templates/<string:kind>/<string:channel>",
    query=schemas.TemplateLocaleQuerySchema,
    body=schemas.TemplateBodySchema,
    response=schemas.TemplateSchema,
)
def put_template(body, query, kind: str, channel: str):
    """Save your organisation's wording in a language (``?locale=es``; left out, your
    default locale). Refused (422) if it does not parse, uses a variable the kind does not
    provide, reaches for something the sandbox blocks, or fails or exceeds a limit (1 s to
    render, 64 KB per email part, 10 SMS segments) when rendered with sample data."""
    _template_key(kind, channel)
    if channel == "email" and not body.get("subject"):
        raise Unprocessable("An email needs a subject.", errors={"subject": ["Required."]})
    parts, _ = _checked(kind, channel, body)
    return as_caller(use_cases.save_template, kind, channel, parts, query.get("locale"))


@templates.post(
    "/templates/<string:kind>/<string:channel>/preview",
    query=schemas.TemplateLocaleQuerySchema,
    body=schemas.TemplatePreviewBodySchema,
    response=schemas.PreviewSchema,
)
def preview_template(body, query, kind: str, channel: str):
    """Render the saved template in a language (``?locale=``), or a draft, with sample
    data, as it would be sent: ``{text, encoding, segments, locale_used}`` (SMS: GSM-7 or
    UCS-2, and how many segments). 422 as for saving, within the same limits."""
    _template_key(kind, channel)
    view = as_caller(use_cases.template, kind, channel, query.get("locale"))
    locale_used = view["locale_used"] if not body else view["locale"]
    if not body:
        body = {part: view[part] for part in template_parts(channel)}
    _, rendered = _checked(kind, channel, body, locale_used.replace("-", "_"))
    segments = sms_segments(rendered.text) if channel == "sms" else None
    return {
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "sms": segments.__dict__ if segments else None,
        "encoding": segments.encoding if segments else None,
        "segments": segments.segments if segments else None,
        "locale_used": locale_used,
    }


def blueprints():
    from services.notifications import client_web, replies, safety_plans, supporters

    return (
        nudges,
        preferences,
        organisation,
        templates,
        *replies.blueprints(),
        *client_web.blueprints(),
        *supporters.blueprints(),
        *safety_plans.blueprints(),
    )
