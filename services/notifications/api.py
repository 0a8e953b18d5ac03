"""Notifications' HTTP API for staff: nudges, preferences, organisation settings, templates."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.notifications import schemas
from services.notifications.contacts import organisation_of
from services.notifications.digest.recurring_nudges import digest_time, schedule_weekly_digest
from services.notifications.dispatcher.rules import channel_it_would_use
from services.notifications.models import Contact, Nudge
from services.notifications.replies import routing as reply_routing
from services.notifications.scoping import contact_for
from services.notifications.wording.kinds import KINDS
from services.notifications.wording.models import TemplateOverride
from services.notifications.wording.templates import (
    RenderedMessage,
    TemplateInvalid,
    check_template,
    default_parts,
    sms_segments,
    template_parts,
)
from shared.auth import current_principal
from shared.errors import Conflict, NotFound, Unprocessable
from shared.pagination import PageQuerySchema, paginate
from shared.runtime import current_runtime
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


def _contact(session, client_id: uuid.UUID) -> Contact:
    # Every endpoint naming a client goes through here: coaches see only their own.
    return contact_for(session, current_principal(), client_id)


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
    principal = current_principal()
    with current_runtime().session_factory() as session:
        contact = _contact(session, client_id)
        stmt = select(Nudge).where(
            Nudge.tenant_id == principal.tenant_id, Nudge.client_id == client_id
        )
        page = paginate(session, stmt, Nudge, query)
        page["items"] = [_listed(nudge, contact) for nudge in page["items"]]
    return page


def _listed(nudge: Nudge, contact: Contact) -> dict:
    """A nudge as the list shows it: its columns, and the channel it would use now."""
    listed = {column.key: getattr(nudge, column.key) for column in Nudge.__mapper__.column_attrs}
    return listed | {"will_use_channel": channel_it_would_use(nudge, contact)}


# -- preferences --------------------------------------------------------------------------


def _preferences_of(contact: Contact, org) -> dict:
    floor = (
        {"start": org.quiet_floor_start, "end": org.quiet_floor_end}
        if org is not None and org.quiet_floor_start
        else None
    )
    return {
        "client_id": contact.client_id,
        "timezone": contact.timezone,
        "quiet_hours": {"start": contact.quiet_start, "end": contact.quiet_end},
        "daily_cap": contact.daily_cap,
        "paused_until": contact.paused_until,
        "preferred_channel": contact.preferred_channel,
        "checkin_reminder_lead_minutes": list(contact.checkin_reminder_leads or []),
        "weekly_digest": digest.__dict__ if (digest := digest_time(contact)) else None,
        "organisation_quiet_hours_floor": floor,
    }


@preferences.get("/clients/<uuid:client_id>/preferences", response=schemas.PreferencesOutSchema)
def get_preferences(client_id: uuid.UUID):
    """Quiet hours, daily cap, pause, preferred channel, check-in reminder lead times and
    the weekly digest's local day and time."""
    with current_runtime().session_factory() as session:
        contact = _contact(session, client_id)
        return _preferences_of(contact, organisation_of(session, contact.tenant_id))


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
    runtime = current_runtime()
    try:
        with runtime.unit_of_work() as uow:
            contact = _contact(uow.session, client_id)
            _apply_preferences(contact, body)
            if "weekly_digest" in body:
                schedule_weekly_digest(uow, contact, runtime.clock())
            result = _preferences_of(contact, organisation_of(uow.session, contact.tenant_id))
            uow.commit()
    except IntegrityError as exc:  # the dispatcher scheduled the same digest meanwhile
        raise Conflict("The client's digest changed meanwhile; try again.") from exc
    return result


def _apply_preferences(contact: Contact, body: dict) -> None:
    if "quiet_hours" in body:
        contact.quiet_start = body["quiet_hours"]["start"]
        contact.quiet_end = body["quiet_hours"]["end"]
    if "daily_cap" in body:
        contact.daily_cap = body["daily_cap"]
    if "paused_until" in body:
        contact.paused_until = body["paused_until"]
    if "preferred_channel" in body:
        contact.preferred_channel = body["preferred_channel"]
    if "checkin_reminder_lead_minutes" in body:
        contact.checkin_reminder_leads = sorted(set(body["checkin_reminder_lead_minutes"]))
    if "weekly_digest" in body:
        digest = body["weekly_digest"] or {}
        contact.digest_weekday = digest.get("weekday")
        contact.digest_local_time = digest.get("local_time")


# -- organisation settings ----------------------------------------------------------------


def _settings_of(session, org) -> dict:
    if org is None:
        return {
            "name": None,
            "help_contact": None,
            "quiet_hours_floor": None,
            "sender_numbers": [],
            "alert_naming": "full_name",
        }
    floor = (
        {"start": org.quiet_floor_start, "end": org.quiet_floor_end}
        if org.quiet_floor_start
        else None
    )
    return {
        "name": org.name,
        "help_contact": org.help_contact,
        "quiet_hours_floor": floor,
        "sender_numbers": reply_routing.sender_numbers_of(session, org.tenant_id),
        "alert_naming": org.alert_naming or "full_name",
    }


@organisation.get(
    "/organisation/notification-settings", response=schemas.OrganisationSettingsSchema
)
def get_settings():
    """How messages name your organisation, how clients reach you, the quiet-hours floor."""
    with current_runtime().session_factory() as session:
        return _settings_of(session, organisation_of(session, current_principal().tenant_id))


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
    try:
        return _put_settings(body)
    except reply_routing.NumberTaken as exc:
        raise Conflict(f"The sending number {exc.number} belongs to another organisation.") from exc
    except IntegrityError as exc:  # another organisation took it at the same moment
        raise Conflict("A sending number belongs to another organisation.") from exc


def _put_settings(body: dict) -> dict:
    with current_runtime().unit_of_work() as uow:
        org = organisation_of(uow.session, current_principal().tenant_id, create=True)
        if "name" in body:
            org.name = body["name"]
        if "help_contact" in body:
            org.help_contact = body["help_contact"]
        if "quiet_hours_floor" in body:
            floor = body["quiet_hours_floor"] or {}
            org.quiet_floor_start = floor.get("start")
            org.quiet_floor_end = floor.get("end")
        if "alert_naming" in body:
            org.alert_naming = body["alert_naming"]
        if "sender_numbers" in body:
            reply_routing.set_sender_numbers(uow.session, org, body["sender_numbers"] or [])
        result = _settings_of(uow.session, org)
        uow.commit()
        return result


# -- templates ----------------------------------------------------------------------------


def _template_key(kind: str, channel: str) -> None:
    spec = KINDS.get(kind)
    if spec is None or channel not in spec.channels:
        raise NotFound(f"No template for kind {kind!r} on channel {channel!r}.")


def _checked(kind: str, channel: str, body: dict) -> tuple[dict, RenderedMessage]:
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
        sample = check_template(kind, channel, parts)
    except TemplateInvalid as exc:
        raise Unprocessable(exc.detail, errors=exc.errors) from exc
    return parts, sample


def _template_view(kind: str, channel: str, override) -> dict:
    parts = (
        {"subject": override.subject, "text": override.text, "html": override.html}
        if override is not None
        else default_parts(kind, channel)
    )
    return {
        "kind": kind,
        "channel": channel,
        **{part: parts.get(part) for part in ("subject", "text", "html")},
        "source": "organisation" if override is not None else "default",
        "variables": sorted(KINDS[kind].variables_on(channel)),
    }


@templates.get("/templates/<string:kind>/<string:channel>", response=schemas.TemplateSchema)
def get_template(kind: str, channel: str):
    """The template your organisation uses for a kind on a channel, and its variables."""
    _template_key(kind, channel)
    with current_runtime().session_factory() as session:
        override = session.get(TemplateOverride, (current_principal().tenant_id, kind, channel))
        return _template_view(kind, channel, override)


@templates.put(
    "/templates/<string:kind>/<string:channel>",
    body=schemas.TemplateBodySchema,
    response=schemas.TemplateSchema,
)
def put_template(body, kind: str, channel: str):
    """Save your organisation's wording. Refused (422) if it does not parse, uses a
    variable the kind does not provide, reaches for something the sandbox blocks, or
    fails or exceeds a limit (1 s to render, 64 KB per email part, 10 SMS segments) when
    rendered with sample data."""
    _template_key(kind, channel)
    if channel == "email" and not body.get("subject"):
        raise Unprocessable("An email needs a subject.", errors={"subject": ["Required."]})
    parts, _ = _checked(kind, channel, body)
    tenant_id = current_principal().tenant_id
    with current_runtime().unit_of_work() as uow:
        override = uow.session.get(TemplateOverride, (tenant_id, kind, channel))
        if override is None:
            override = TemplateOverride(tenant_id=tenant_id, kind=kind, channel=channel)
            uow.session.add(override)
        override.subject, override.text, override.html = (
            parts.get("subject"),
            parts["text"],
            parts.get("html"),
        )
        result = _template_view(kind, channel, override)
        uow.commit()
        return result


@templates.post(
    "/templates/<string:kind>/<string:channel>/preview",
    body=schemas.TemplatePreviewBodySchema,
    response=schemas.PreviewSchema,
)
def preview_template(body, kind: str, channel: str):
    """Render the saved template, or a draft, with sample data, as it would be sent; SMS
    reports its segments. 422 as for saving, within the same limits."""
    _template_key(kind, channel)
    if not body:
        with current_runtime().session_factory() as session:
            override = session.get(TemplateOverride, (current_principal().tenant_id, kind, channel))
            view = _template_view(kind, channel, override)
        body = {part: view[part] for part in template_parts(channel)}
    _, rendered = _checked(kind, channel, body)
    segments = sms_segments(rendered.text) if channel == "sms" else None
    return {
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "sms": segments.__dict__ if segments else None,
    }


def blueprints():
    from services.notifications import client_web, replies

    return (
        nudges,
        preferences,
        organisation,
        templates,
        *replies.blueprints(),
        *client_web.blueprints(),
    )
