"""Notifications' staff use cases: what one API request does, in the unit of work it owns.

Each takes the unit of work (new, not yet open: the web layer supplies it, see
``shared.use_case``), the caller and the request's parsed inputs; it opens the unit of
work, finds what the caller may touch (``scoping``), changes or reads through the domain,
commits (the outbox publishes with the commit) and returns what the view renders. An
error on the way leaves with nothing written. No web code here.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.notifications.contacts import organisation_of
from services.notifications.digest.recurring_nudges import digest_time, schedule_weekly_digest
from services.notifications.dispatcher.rules import channel_it_would_use
from services.notifications.models import Contact, Nudge
from services.notifications.replies import routing as reply_routing
from services.notifications.scoping import contact_for
from services.notifications.wording import locales
from services.notifications.wording.kinds import KINDS
from services.notifications.wording.models import TemplateOverride
from services.notifications.wording.templates import default_parts
from shared.db import UnitOfWork
from shared.errors import Conflict
from shared.pagination import paginate

if TYPE_CHECKING:
    from shared.principals import Principal

# -- nudges -------------------------------------------------------------------------------


def list_notifications(
    uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, query: dict
) -> dict:
    """A page of a client's nudges (every endpoint naming a client scopes by the caller:
    coaches see only their own)."""
    with uow:
        session = uow.session
        contact = contact_for(session, principal, client_id)
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


def preferences(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> dict:
    with uow:
        contact = contact_for(uow.session, principal, client_id)
        return _preferences_of(contact, organisation_of(uow.session, contact.tenant_id))


def change_preferences(
    uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, changes: dict
) -> dict:
    """Fields left out keep their value; a new weekly digest time moves the pending
    digest (null stops it)."""
    try:
        with uow:
            contact = contact_for(uow.session, principal, client_id)
            _apply_preferences(contact, changes)
            if "weekly_digest" in changes:
                schedule_weekly_digest(uow, contact, uow.clock())
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
            "default_locale": None,
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
        "default_locale": org.default_locale,
    }


def organisation_settings(uow: UnitOfWork, principal: Principal) -> dict:
    with uow:
        return _settings_of(uow.session, organisation_of(uow.session, principal.tenant_id))


def change_organisation_settings(uow: UnitOfWork, principal: Principal, changes: dict) -> dict:
    """Fields left out keep their value; a sending number another organisation has is a
    409 (the platform's shared numbers are refused before, by the view)."""
    try:
        with uow:
            org = organisation_of(uow.session, principal.tenant_id, create=True)
            if "name" in changes:
                org.name = changes["name"]
            if "help_contact" in changes:
                org.help_contact = changes["help_contact"]
            if "quiet_hours_floor" in changes:
                floor = changes["quiet_hours_floor"] or {}
                org.quiet_floor_start = floor.get("start")
                org.quiet_floor_end = floor.get("end")
            if "alert_naming" in changes:
                org.alert_naming = changes["alert_naming"]
            if "default_locale" in changes:
                wanted = changes["default_locale"]
                org.default_locale = locales.normalised(wanted) if wanted else None
            if "sender_numbers" in changes:
                reply_routing.set_sender_numbers(uow.session, org, changes["sender_numbers"] or [])
            result = _settings_of(uow.session, org)
            uow.commit()
            return result
    except reply_routing.NumberTaken as exc:
        raise Conflict(f"The sending number {exc.number} belongs to another organisation.") from exc
    except IntegrityError as exc:  # another organisation took it at the same moment
        raise Conflict("A sending number belongs to another organisation.") from exc


# -- templates ----------------------------------------------------------------------------


def _template_view(kind: str, channel: str, locale: str, override, shipped: str) -> dict:
    parts = (
        {"subject": override.subject, "text": override.text, "html": override.html}
        if override is not None
        else default_parts(kind, channel, shipped)
    )
    return {
        "kind": kind,
        "channel": channel,
        "locale": locale.replace("_", "-"),
        "locale_used": (locale if override is not None else shipped).replace("_", "-"),
        **{part: parts.get(part) for part in ("subject", "text", "html")},
        "source": "organisation" if override is not None else "default",
        "variables": sorted(KINDS[kind].variables_on(channel)),
    }


def _template_locale(session, tenant_id: uuid.UUID, wanted: str | None) -> tuple[str, str]:
    """The locale a template request names (Babel's spelling: "es_MX"), the
    organisation's default when it names none; and the shipped language the platform's
    wording would go in for it."""
    org = organisation_of(session, tenant_id)
    default = org.default_locale if org is not None else None
    locale = str(locales.parsed(wanted or default or locales.DEFAULT_LOCALE))
    return locale, locales.resolve(locale, default, locales.shipped_catalogs())


def template(
    uow: UnitOfWork, principal: Principal, kind: str, channel: str, locale: str | None = None
) -> dict:
    """The template the caller's organisation uses for a kind on a channel in a locale."""
    with uow:
        locale, shipped = _template_locale(uow.session, principal.tenant_id, locale)
        override = uow.session.get(TemplateOverride, (principal.tenant_id, kind, channel, locale))
        return _template_view(kind, channel, locale, override, shipped)


def save_template(
    uow: UnitOfWork,
    principal: Principal,
    kind: str,
    channel: str,
    parts: dict,
    locale: str | None = None,
) -> dict:
    """Save the organisation's wording in a locale (``parts`` already checked)."""
    tenant_id = principal.tenant_id
    with uow:
        locale, shipped = _template_locale(uow.session, tenant_id, locale)
        override = uow.session.get(TemplateOverride, (tenant_id, kind, channel, locale))
        if override is None:
            override = TemplateOverride(
                tenant_id=tenant_id, kind=kind, channel=channel, locale=locale
            )
            uow.session.add(override)
        override.subject, override.text, override.html = (
            parts.get("subject"),
            parts["text"],
            parts.get("html"),
        )
        result = _template_view(kind, channel, locale, override, shipped)
        uow.commit()
        return result
