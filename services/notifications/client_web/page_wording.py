"""What the client's pages say (see ``client_pages``): the note after an answer, the kind
answers to a low rating and to a crisis, and the pages of a link that opens nothing (not
valid, expired, the service ended, unknown).

Where to get help is the organisation's help contact, when it has one, and its crisis
line: who to call now (``crisis_answers.crisis_text_for``, the crisis text without its
"Your coach has been told."). The page says that sentence once, on its own line, and
only when a coach or admin was alerted. Phone numbers are ``tel:`` links
(``phone_links``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Response, render_template, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from services.notifications.client_web.links import LinkRefused
from services.notifications.client_web.speaking import N_, html_lang
from services.notifications.client_web.speaking import gettext as _
from services.notifications.wording.email_layout import HTML_LANGUAGE

__all__ = ["HTML_LANGUAGE"]  # pages not yet translated still name English (``speaking``)
from services.notifications.contacts import organisation_of
from services.notifications.dispatcher.composing import DEFAULT_ORGANISATION_NAME
from services.notifications.models import Contact
from services.notifications.replies.crisis_answers import COACH_TOLD, COALESCING, crisis_text_for
from services.notifications.replies.models import CrisisAlert
from services.notifications.replies.recording import LOW_RATING

# Translated where shown (the request's language).
NOTED = {
    "done": N_("Well done - that step is marked done."),
    "already_done": N_("That step was already marked done."),
    "mood": N_("Thanks, your mood is noted."),
    "mood_low": N_("Thank you for telling us. We are sorry today is hard."),
    "journal": N_("Thanks, your coach will see this."),
    "crisis": N_("Thank you for telling us."),
    "undone": N_("Undone - that step is no longer marked done."),
}
# The alert a crisis message on the page raised, or was folded into, is this recent when
# the page that answers it is shown.
ALERT_RECENT = COALESCING


@dataclass(frozen=True)
class HelpLines:
    """Where a client can get help: their organisation's contact, if it has one, and a
    crisis line."""

    organisation_name: str
    help_contact: str | None
    crisis_line: str


@dataclass(frozen=True)
class CrisisAnswer:
    """Who to call now, and "Your coach has been told." when one was."""

    line: str
    coach_told: str | None


@dataclass(frozen=True)
class PageNote:
    """What the client's page says about the answer it was just sent."""

    noted: str | None
    crisis: CrisisAnswer | None = None
    support: HelpLines | None = None


def help_lines(session, contact: Contact) -> HelpLines:
    organisation = organisation_of(session, contact.tenant_id)
    return HelpLines(
        organisation.name if organisation and organisation.name else _(DEFAULT_ORGANISATION_NAME),
        organisation.help_contact if organisation and organisation.help_contact else None,
        crisis_text_for(session, contact),
    )


def coach_alerted(session, contact: Contact, now: datetime) -> bool:
    """True when a coach or admin was alerted of the client's latest crisis message (an
    alert is opened only when there is someone to alert)."""
    alert = session.scalar(
        select(CrisisAlert.id)
        .where(
            CrisisAlert.tenant_id == contact.tenant_id,
            CrisisAlert.client_id == contact.client_id,
            CrisisAlert.last_at >= now - ALERT_RECENT,
        )
        .limit(1)
    )
    return alert is not None


def is_low(rating: int | None) -> bool:
    return rating is not None and rating <= LOW_RATING


def noted_key(intent: str | None, rating: int | None) -> str | None:
    """What the page notes for a reply: a low rating has a note of its own."""
    return "mood_low" if intent == "mood" and is_low(rating) else intent


def page_note(session, contact: Contact, noted: str | None, now: datetime) -> PageNote:
    text = _(NOTED[noted]) if noted in NOTED else None
    if noted == "crisis":
        line = crisis_text_for(session, contact)
        told = _(COACH_TOLD) if coach_alerted(session, contact, now) else None
        return PageNote(text, crisis=CrisisAnswer(line, told))
    if noted == "mood_low":
        return PageNote(text, support=help_lines(session, contact))
    return PageNote(text)


# -- small pages ------------------------------------------------------------------------------


def message_page(title: str, *paragraphs: str, status: int = 200, **context) -> Response:
    """A title, a few paragraphs and, as ``context`` asks, a button (``form_action`` and
    ``button``), where to get help (``support``) and a link to the page (``page_url``)."""
    html = render_template(
        "client/message.html", lang=html_lang(), title=title, paragraphs=paragraphs, **context
    )
    return Response(html, status=status, mimetype="text/html")


def refused_page(exc: LinkRefused) -> Response:
    if exc.why == "expired":
        return message_page(
            _("This link has expired"),
            _(
                "Links in our emails work for a limited time. Use the link in a more recent "
                "email, or reply to any of our text messages."
            ),
            status=410,
        )
    return message_page(
        _("This link is not valid"),
        _(
            "We could not read this link. Please copy the whole link from the email, or use "
            "the link in a more recent email."
        ),
        status=400,
    )


def unknown_page() -> Response:
    return message_page(
        _("This link is no longer valid"),
        _(
            "We have nothing on record for this link. If you think that is wrong, please "
            "contact your coach."
        ),
        status=404,
    )


def ended_page(support: HelpLines) -> Response:
    """A client's time with the service has ended: nothing of theirs, only where to go."""
    return message_page(
        _("This service has ended"),
        _(
            "Your time with this coaching service has ended, so this link no longer opens "
            "anything and nothing sent here is recorded."
        ),
        _("If you would like support again, or need help now, you can reach:"),
        status=410,
        support=support,
    )


def invalid_form_page(error: ValidationError, token: str | None) -> Response:
    """``token`` is the client's page's, to link back to it, if the form was on it."""
    named = ", ".join(sorted(error.messages)) if isinstance(error.messages, dict) else "form"
    return message_page(
        _("Please check what you sent"),
        _(
            "Something in the form could not be used ({named}). Go back, check it and try again."
        ).format(named=named),
        status=422,
        page_url=url_for("client_pages.my_page", token=token) if token else None,
    )


def later_step_page(token: str) -> Response:
    """A Done for a step of a later day: shown on the page, not markable yet."""
    return message_page(
        _("That step is not due yet"),
        _("You can mark a step done on its day, or after. Nothing was saved."),
        status=422,
        page_url=url_for("client_pages.my_page", token=token),
    )


def undo_refused_page(token: str) -> Response:
    return message_page(
        _("That can no longer be undone"),
        _(
            "Only your latest Done can be undone, for 10 minutes after you said it. If "
            "something is wrong, tell your coach."
        ),
        status=409,
        page_url=url_for("client_pages.my_page", token=token),
    )
