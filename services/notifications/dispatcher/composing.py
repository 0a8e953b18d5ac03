"""Writing a nudge's message: drafted from the rules' verdict while the batch is claimed,
composed (rendered) after that transaction, outside any."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.notifications.channels import OutgoingMessage
from services.notifications.client_web import links as client_links
from services.notifications.client_web.unsubscribe_tokens import make_token, unsubscribe_url
from services.notifications.dispatcher.rules import Decision
from services.notifications.models import Contact, Nudge, Organisation, StaffMember
from services.notifications.replies import alert_links as client_alert_links
from services.notifications.supporters import tokens as supporter_links
from services.notifications.wording.locales import (
    DEFAULT_LOCALE,
    N_,
    resolve,
    shipped_catalogs,
    translations,
)
from services.notifications.wording.models import TemplateOverride
from services.notifications.wording.templates import TemplateRenderFailed, render
from shared.clock import Clock
from shared.config import Settings

log = logging.getLogger(__name__)

DEFAULT_ORGANISATION_NAME = N_("your coaching service")  # in the client's language


@dataclass(frozen=True)
class Draft:
    """A nudge the rules let through, with all its message needs as plain values, so that
    it is rendered after the claim's transaction has ended."""

    nudge_id: uuid.UUID
    tenant_id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    channel: str
    attempts: int
    to: str
    variables: dict
    headers: dict[str, str]
    override: dict[str, str | None] | None  # the organisation's own template, if any
    sender_name: str | None
    due_at: datetime | None = None  # when it was due, for the lateness metric
    sender_number: str | None = None  # the organisation's own SMS number, if any
    # Added to an SMS to a record whose phone is not yet confirmed and is on another
    # record too: how the person says this one is theirs (``reply_routing``).
    confirm_line: str | None = None
    # The language it is written in (an organisation's template's, or a shipped one), and
    # the shipped language the default wording goes in should that template fail.
    locale: str = DEFAULT_LOCALE
    default_locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class Delivery:
    """A nudge ready to go: where, and the message itself (None if it could not be
    written). ``note`` says why the organisation's own template was not used."""

    nudge_id: uuid.UUID
    tenant_id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    channel: str
    attempts: int
    message: OutgoingMessage | None
    note: str | None = None
    due_at: datetime | None = None

    @classmethod
    def of(cls, draft: Draft, message: OutgoingMessage | None, note: str | None = None):
        return cls(
            draft.nudge_id,
            draft.tenant_id,
            draft.client_id,
            draft.kind,
            draft.channel,
            draft.attempts,
            message,
            note,
            draft.due_at,
        )


def draft_of(
    nudge: Nudge,
    contact: Contact | None,
    organisation: Organisation | None,
    staff: StaffMember | None,
    decision: Decision,
    overrides: dict[str, TemplateOverride],
    *,
    settings: Settings,
    clock: Clock,
    sender_number: str | None = None,
    confirm_code: str | None = None,
) -> Draft:
    """What a nudge the rules let through needs to be written and sent, as plain values:
    its variables (the organisation, the person, the email's links) and headers, and the
    language it goes in (recorded on the nudge as ``locale_used``): the client's locale,
    its base language, the organisation's default, English, the first the platform ships
    or the organisation has a template of this kind in (``overrides``, by locale). Alerts
    to a coach go in English."""
    variables = dict(nudge.variables or {})
    locale, default_locale = _languages(nudge, contact, organisation, overrides)
    nudge.locale_used = locale
    override = overrides.get(locale)
    named = organisation.name if organisation and organisation.name else None
    variables["organisation_name"] = named or translations(default_locale).gettext(
        DEFAULT_ORGANISATION_NAME
    )
    variables["help_contact"] = (
        organisation.help_contact
        if organisation and organisation.help_contact
        else settings.email_from
    )
    headers: dict[str, str] = {}
    # Someone missing leaves their variable out: a template that names them fails.
    if nudge.audience in ("coach", "on_call"):
        if staff is not None and nudge.audience == "coach":
            variables["coach_name"] = staff.name
        alert_id = variables.pop("alert_id", None)
        variables.pop("to", None)
        # On call: the admin it names, or someone on the list ("on-call").
        recipient = variables.pop("recipient", None) or "on-call"
        if nudge.audience == "coach":
            recipient = staff.staff_id if staff is not None else None
        if alert_id and recipient is not None and contact is not None:
            variables["alert_url"] = client_alert_links.alert_url(
                settings.jwt_secret,
                settings.public_base_url,
                contact,
                alert_id,
                recipient,
                clock(),
            )
    elif nudge.audience == "number":
        if nudge.kind in supporter_links.SUPPORTER_KINDS:  # to confirm, or to leave
            variables["link_url"] = supporter_links.link_url(
                settings.jwt_secret, settings.public_base_url, nudge, clock()
            )
    else:
        if contact is not None:
            variables["name"] = contact.display_name
        if staff is not None and staff.active and staff.name:
            variables["coach_name"] = staff.name  # the client's coach
        if decision.channel == "email":
            token = make_token(settings.jwt_secret, nudge.tenant_id, nudge.client_id)
            url = unsubscribe_url(settings.public_base_url, token)
            variables["unsubscribe_url"] = url
            headers["List-Unsubscribe"] = f"<{url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            variables |= client_links.email_link_variables(
                settings.jwt_secret,
                settings.public_base_url,
                clock(),
                tenant_id=nudge.tenant_id,
                client_id=nudge.client_id,
                nudge_id=nudge.id,
                kind=nudge.kind,
                subject_id=nudge.subject_id,
                subject_occurrence=nudge.subject_occurrence,
                email=decision.to,  # the links open only while this is the address
            )
    return Draft(
        nudge.id,
        nudge.tenant_id,
        nudge.client_id,
        nudge.kind,
        decision.channel,
        nudge.attempts,
        decision.to,
        variables,
        headers,
        (
            {"subject": override.subject, "text": override.text, "html": override.html}
            if override is not None
            else None
        ),
        named,
        nudge.due_at,
        sender_number if decision.channel == "sms" else None,
        (
            translations(default_locale)
            .gettext("Reply YES {code} to get messages from {organisation_name}.")
            .format(code=confirm_code, organisation_name=variables["organisation_name"])
            if confirm_code and decision.channel == "sms"
            else None
        ),
        locale,
        default_locale,
    )


def _languages(
    nudge: Nudge,
    contact: Contact | None,
    organisation: Organisation | None,
    overrides: dict[str, TemplateOverride],
) -> tuple[str, str]:
    """The language a nudge goes in, and the shipped one its default wording goes in."""
    if nudge.audience in ("coach", "on_call"):  # staff: in English
        return DEFAULT_LOCALE, DEFAULT_LOCALE
    # A supporter is written to in their client's language (the client chose them).
    speaks_as_client = nudge.audience == "client" or nudge.kind in supporter_links.SUPPORTER_KINDS
    client = contact.locale if contact is not None and speaks_as_client else None
    default = organisation.default_locale if organisation is not None else None
    shipped = resolve(client, default, shipped_catalogs())
    return resolve(client, default, (*shipped_catalogs(), *overrides)), shipped


def compose(draft: Draft) -> Delivery:
    """Render a draft's message, outside any transaction: an organisation's template
    that fails or overruns a limit gives way to the default wording, with a note."""
    try:
        rendered = render(
            draft.kind,
            draft.channel,
            draft.variables,
            draft.override,
            locale=draft.locale,
            default_locale=draft.default_locale,
        )
    except TemplateRenderFailed as exc:
        log.error(
            "the default wording of a nudge failed to render",
            extra={"nudge_id": str(draft.nudge_id), "kind": draft.kind, "reason": exc.reason},
        )
        return Delivery.of(draft, None, f"message could not be written: {exc.part} {exc.reason}")
    if rendered.fallback_reason:
        log.warning(
            "an organisation's template failed; the default wording was used",
            extra={
                "nudge_id": str(draft.nudge_id),
                "kind": draft.kind,
                "channel": draft.channel,
                "reason": rendered.fallback_reason,
            },
        )
    text = rendered.text
    if draft.confirm_line:
        text = f"{text} {draft.confirm_line}"
    message = OutgoingMessage(
        message_id=f"<{draft.nudge_id}@coaching.nudges>",
        to=draft.to,
        subject=rendered.subject,
        text=text,
        html=rendered.html,
        headers=draft.headers,
        sender_name=draft.sender_name,
        client_id=str(draft.client_id),
        sender_number=draft.sender_number,
    )
    return Delivery.of(draft, message, rendered.fallback_reason)
