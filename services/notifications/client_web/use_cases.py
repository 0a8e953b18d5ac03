"""What the client-facing pages read and change, each in the unit of work it owns (see
``services.notifications.use_cases``). No staff caller here: a signed link (already read
and checked by the page) says whose data it is, and the service's ``secret`` checks that
the link still opens it (``answers.linked_client``). Recording an answer and taking back
a Done are ``answers.record_answer`` and ``answers.undo_done``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.notifications.client_web.answers import linked_client, step_of
from services.notifications.client_web.links import PageLink, ReplyLink
from services.notifications.client_web.page_wording import HelpLines, help_lines, page_note
from services.notifications.client_web.ratings import recent_ratings, todays_rating
from services.notifications.client_web.view import coach_name, progress_of, steps_of_week
from services.notifications.contacts import language_of, organisation_of
from services.notifications.models import Contact, Organisation
from services.notifications.replies import opt_outs
from services.notifications.replies.models import ReceivedReply
from services.notifications.wording.locales import N_, shipped_locale
from shared.db import UnitOfWork


def help_for(uow: UnitOfWork, link: ReplyLink | PageLink) -> HelpLines:
    """Where the link's client can get help."""
    with uow:
        contact = uow.session.get(Contact, (link.tenant_id, link.client_id))
        return help_lines(uow.session, contact)


def reply_link_state(uow: UnitOfWork, secret: str, link: ReplyLink) -> tuple[bool, str | None]:
    """Whether the email link's answer is noted already, and the title of its step."""
    with uow:
        session = uow.session
        contact = linked_client(session, secret, link)
        already = session.get(ReceivedReply, link.reply_id) is not None
        title = None
        if link.intent == "done":
            step = step_of(session, contact, link.action_id, link.occurrence_key)
            already = already or (step is not None and step.status == "completed")
            title = step.title if step is not None else None
    return already, title


@dataclass(frozen=True)
class WeekPage:
    """What the client's own page shows."""

    name: str
    note: object
    steps: list
    progress: object
    coach: str | None
    support: HelpLines
    ratings: list
    today: object


def week_page(
    uow: UnitOfWork, secret: str, link: PageLink, noted: str | None, now: datetime
) -> WeekPage:
    with uow:
        session = uow.session
        contact = linked_client(session, secret, link)
        steps = steps_of_week(session, contact, now)
        progress = progress_of(session, contact, steps)
        coach = coach_name(session, contact)
        support = help_lines(session, contact)
        ratings = recent_ratings(session, contact, now)
        name = contact.display_name
        note = page_note(session, contact, noted, now)
        today = todays_rating(ratings, now, contact.timezone)
    return WeekPage(name, note, steps, progress, coach, support, ratings, today)


# -- unsubscribe --------------------------------------------------------------------------


def _organisation_name(session, tenant_id) -> str:
    organisation = session.get(Organisation, tenant_id)
    return organisation.name if organisation is not None and organisation.name else N_("us")


def language_for(uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID) -> str:
    """The language a client's pages speak (``wording.locales``); their organisation's
    default, or English, when the record is gone."""
    with uow:
        contact = uow.session.get(Contact, (tenant_id, client_id))
        if contact is not None:
            return language_of(uow.session, contact)
        organisation = organisation_of(uow.session, tenant_id)
        return shipped_locale(None, organisation.default_locale if organisation else None)


def organisation_name(uow: UnitOfWork, tenant_id: uuid.UUID) -> str:
    """How the unsubscribe page names the organisation ("us" when it has no name)."""
    with uow:
        return _organisation_name(uow.session, tenant_id)


def unsubscribe(uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID) -> str:
    """Opt the client's email address out (twice is harmless); the organisation's name."""
    with uow:
        contact = uow.session.get(Contact, (tenant_id, client_id))
        if contact is not None and contact.email:
            opt_outs.opt_out(uow, contact, "email", contact.email, "email_unsubscribe", uow.clock())
        name = _organisation_name(uow.session, tenant_id)
        uow.commit()
    return name
