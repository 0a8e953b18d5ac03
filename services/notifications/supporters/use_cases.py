"""What the supporters' routes do, each in the unit of work it owns: a coach or admin
lists, adds and removes a client's supporters and reads what was disclosed; a supporter
confirms or leaves from their link; the client adds and removes them on their own page."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.notifications.client_web.links import PageLink, still_addressed
from services.notifications.contacts import language_of
from services.notifications.models import Contact, Organisation
from services.notifications.scoping import contact_for
from services.notifications.supporters import membership, rules
from services.notifications.supporters.models import Disclosure, Supporter
from services.notifications.wording.locales import N_, gettext_of, shipped_locale
from shared.db import UnitOfWork
from shared.errors import NotFound
from shared.pagination import paginate
from shared.principals import Principal


def _consent(method, by, at) -> dict | None:
    return None if at is None else {"method": method, "recorded_by": by, "at": at}


def shown(supporter: Supporter) -> dict:
    return {
        "id": supporter.id,
        "client_id": supporter.client_id,
        "name": supporter.name,
        "relationship": supporter.relationship,
        "email": supporter.email,
        "phone": supporter.phone,
        "timezone": supporter.timezone,
        "scopes": list(supporter.scopes),
        "state": supporter.state,
        "consent": _consent(
            supporter.consent_method, supporter.consent_recorded_by, supporter.consent_at
        ),
        "crisis_consent": _consent(
            supporter.crisis_consent_method,
            supporter.crisis_consent_recorded_by,
            supporter.crisis_consent_at,
        ),
        "invited_at": supporter.invited_at,
        "confirmed_at": supporter.confirmed_at,
        "removed_at": supporter.removed_at,
        "removed_by": supporter.removed_by,
    }


def list_supporters(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> dict:
    with uow:
        contact = contact_for(uow.session, principal, client_id)
        found = membership.supporters_of(uow.session, contact.tenant_id, client_id)
        return {"items": [shown(s) for s in found]}


def add_supporter(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, body: dict) -> dict:
    """Invite a supporter with the client's consent, given to the caller (``body``)."""
    with uow:
        contact = contact_for(uow.session, principal, client_id)
        consent = {"method": body["consent"]["method"], "recorded_by": principal.staff_id}
        crisis = body.get("crisis_consent")
        details = body | {"crisis_consent": crisis}
        supporter = membership.add_supporter(uow, contact, details, consent, uow.clock())
        result = shown(supporter)
        uow.commit()
        return result


def remove_supporter(
    uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, supporter_id: uuid.UUID
) -> None:
    with uow:
        contact = contact_for(uow.session, principal, client_id)
        supporter = _supporter_of(uow.session, contact, supporter_id)
        membership.remove(uow, supporter, "staff", uow.clock())
        uow.commit()


def change_supporter_scopes(
    uow: UnitOfWork,
    principal: Principal,
    client_id: uuid.UUID,
    supporter_id: uuid.UUID,
    body: dict,
) -> dict:
    """The supporter's scopes as ``body`` says; adding ``crisis`` needs its own consent,
    given to the caller (``crisis_consent``)."""
    with uow:
        contact = contact_for(uow.session, principal, client_id)
        supporter = _supporter_of(uow.session, contact, supporter_id)
        crisis = body.get("crisis_consent")
        consent = (
            {"method": crisis["method"], "recorded_by": principal.staff_id} if crisis else None
        )
        membership.change_scopes(uow, contact, supporter, body["scopes"], consent, uow.clock())
        result = shown(supporter)
        uow.commit()
        return result


def _supporter_of(session, contact: Contact, supporter_id: uuid.UUID) -> Supporter:
    supporter = session.get(Supporter, supporter_id)
    if (
        supporter is None
        or supporter.tenant_id != contact.tenant_id
        or supporter.client_id != contact.client_id
    ):
        raise NotFound("No such supporter.")
    return supporter


def disclosures(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID, query: dict) -> dict:
    """Every message a supporter of the client was sent: who, what, when, under which
    consent, oldest first."""
    with uow:
        contact = contact_for(uow.session, principal, client_id)
        stmt = select(Disclosure).where(
            Disclosure.tenant_id == contact.tenant_id, Disclosure.client_id == client_id
        )
        page = paginate(uow.session, stmt, Disclosure, query, at=Disclosure.disclosed_at)
        page["items"] = [
            {column.key: getattr(row, column.key) for column in Disclosure.__mapper__.column_attrs}
            for row in page["items"]
        ]
        return page


# -- the supporter's own link -------------------------------------------------------------


def _language(session, tenant_id: uuid.UUID, client_id: uuid.UUID) -> str:
    """The language a supporter's page speaks: their client's (the client chose them)."""
    contact = session.get(Contact, (tenant_id, client_id))
    if contact is not None:
        return language_of(session, contact)
    organisation = session.get(Organisation, tenant_id)
    return shipped_locale(None, organisation.default_locale if organisation else None)


def supporter_view(uow: UnitOfWork, tenant_id: uuid.UUID, supporter_id: uuid.UUID) -> dict | None:
    """What the supporter's page shows, in the client's language (``language``): the
    invitation (first name and organisation only), and the buttons that apply. None for a
    link that opens nothing."""
    with uow:
        supporter = uow.session.get(Supporter, supporter_id)
        if supporter is None or supporter.tenant_id != tenant_id:
            return None
        contact = uow.session.get(Contact, (tenant_id, supporter.client_id))
        if contact is None or contact.status == "erased":
            return None
        language = language_of(uow.session, contact)
        _ = gettext_of(language)
        organisation = uow.session.get(Organisation, tenant_id)
        first = rules.first_name(contact.preferred_name, contact.given_name, _)
        if supporter.state == "removed":
            return {
                "language": language,
                "title": _("You are not a supporter"),
                "paragraphs": (
                    _("You are no longer one of {first_name}'s supporters.").format(
                        first_name=first
                    ),
                ),
                "actions": (),
            }
        org_name = organisation.name if organisation is not None and organisation.name else None
        paragraphs = (
            _("{first_name} chose you as a supporter with {organisation}.").format(
                first_name=first, organisation=org_name or _("their coaching service")
            ),
            _(
                "If you agree, you may get a short message when they miss a check-in, and an "
                "all clear when they reply. You can leave at any time."
            ),
        )
        if supporter.state == "invited":
            actions = (("confirm", _("Yes, I agree")), ("leave", _("No, thank you")))
            return {
                "language": language,
                "title": _("Will you be a supporter?"),
                "paragraphs": paragraphs,
                "actions": actions,
            }
        return {
            "language": language,
            "title": _("You are one of {first_name}'s supporters").format(first_name=first),
            "paragraphs": paragraphs,
            "actions": (("leave", _("Stop being a supporter")),),
        }


def supporter_chose(
    uow: UnitOfWork, tenant_id: uuid.UUID, supporter_id: uuid.UUID, action: str
) -> tuple[str, str] | None:
    """Confirm or leave from the link; the page's title after it and the language it is
    in, the client's (None: nothing to do)."""
    with uow:
        supporter = uow.session.get(Supporter, supporter_id, with_for_update=True)
        if supporter is None or supporter.tenant_id != tenant_id:
            return None
        language = _language(uow.session, tenant_id, supporter.client_id)
        _ = gettext_of(language)
        now = uow.clock()
        if action == "confirm":
            if supporter.state == "removed":
                return _("You are not a supporter"), language
            membership.confirm(uow, supporter, now, acknowledge=True)
            title = _("Thank you: you are a supporter")
        else:
            membership.remove(uow, supporter, "supporter", now, acknowledge=True)
            title = _("You are no longer a supporter")
        uow.commit()
        return title, language


# -- the client's own page -----------------------------------------------------------------

# Translated where shown (the client's language).
STATE_LABELS = {
    "invited": N_("invited, not yet agreed"),
    "active": N_("agreed"),
    "removed": N_("removed"),
}
_FORM_NAMESPACE = uuid.UUID("0c6f0f7e-4a51-4d1e-9c1b-5b0f2a8d7e31")


def _linked_contact(session, secret: str, link: PageLink) -> Contact | None:
    """The client the page's link is for, while it is still theirs and they are with us."""
    contact = session.get(Contact, (link.tenant_id, link.client_id))
    if contact is None or contact.status != "active":
        return None
    return contact if still_addressed(secret, link, contact.email) else None


def client_supporters(uow: UnitOfWork, secret: str, link: PageLink) -> dict | None:
    with uow:
        contact = _linked_contact(uow.session, secret, link)
        if contact is None:
            return None
        current = [
            s
            for s in membership.supporters_of(uow.session, contact.tenant_id, contact.client_id)
            if s.state != "removed"
        ]
        return {
            "supporters": [
                {
                    "id": s.id,
                    "name": s.name,
                    "relationship": s.relationship,
                    "state_label": STATE_LABELS[s.state],
                }
                for s in current
            ],
            "can_add": len(current) < rules.MAX_SUPPORTERS,
        }


def client_adds(uow: UnitOfWork, secret: str, link: PageLink, form: dict) -> str | None:
    """The client adds a supporter on their page, with their own consent: "added",
    "full", or None for a link that opens nothing. A form sent twice adds one."""
    with uow:
        contact = _linked_contact(uow.session, secret, link)
        if contact is None:
            return None
        supporter_id = uuid.uuid5(_FORM_NAMESPACE, f"{link.tenant_id}:{form['form_id']}")
        if uow.session.get(Supporter, supporter_id) is not None:
            return "added"
        consent = {"method": rules.CLIENT_CONSENT_METHOD, "recorded_by": None}
        crisis = consent if form.get("crisis_consent") == "yes" else None
        details = form | {"id": supporter_id, "crisis_consent": crisis}
        try:
            membership.add_supporter(uow, contact, details, consent, uow.clock())
        except membership.TooMany:
            return "full"
        uow.commit()
        return "added"


def client_removes(uow: UnitOfWork, secret: str, link: PageLink, supporter_id: uuid.UUID) -> bool:
    with uow:
        contact = _linked_contact(uow.session, secret, link)
        if contact is None:
            return False
        try:
            supporter = _supporter_of(uow.session, contact, supporter_id)
        except NotFound:
            return False
        membership.remove(uow, supporter, "client", uow.clock())
        uow.commit()
        return True
