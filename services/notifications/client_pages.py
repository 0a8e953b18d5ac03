"""The client's answers on the web, from signed links (see ``client_links``): the "I did
it" and 1-10 links of an email (``/r/{token}``) and the client's own page (``/me/{token}``).

Small server-rendered pages, no JavaScript. A link's GET only shows a page with a button
(mail scanners follow links); a POST records the answer through ``replies.record_reply``,
exactly as a text message would be, once per reply id. Every page is sent with headers
that keep it out of frames, caches and Referer headers: the token in its URL is the key.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta

from flask import Response, redirect, render_template, request, url_for
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.notifications import replies
from services.notifications.client_links import (
    RATINGS,
    LinkRefused,
    done_reply_id,
    page_token,
    read_page_link,
    read_reply_link,
    reply_id_for,
)
from services.notifications.crisis import region_of
from services.notifications.crisis_settings import crisis_settings_for, crisis_text_for
from services.notifications.models import Contact, PlannedStep, ReceivedReply
from services.notifications.quiet_hours import zone
from services.notifications.reply_parsing import MAX_TEXT_LENGTH, mentions_crisis
from services.notifications.weekly_digest import local_label
from services.notifications.wording import HTML_LANGUAGE
from shared.runtime import current_runtime
from shared.validation import MultilineText, Schema

log = logging.getLogger(__name__)

client_pages = Blueprint(
    "client_pages",
    __name__,
    template_folder="page_templates",
    description="The client's answers from an email link and their own page (HTML, from "
    "signed links; no staff token).",
)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
MAX_STEPS_SHOWN = 50
NOTED = {
    "done": "Well done - that step is marked done.",
    "already_done": "That step was already marked done.",
    "mood": "Thanks, your mood is noted.",
    "journal": "Thanks, your coach will see this.",
    "crisis": "Thank you for telling us. Your coach has been told.",
}


class DoneForm(Schema):
    action_id = fields.UUID(required=True)
    occurrence_key = fields.String(required=True, validate=validate.Length(min=1, max=100))


class MoodForm(Schema):
    form_id = fields.UUID(required=True)
    rating = fields.Integer(required=True, strict=False, validate=validate.Range(1, 10))


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Write something first.")


class JournalForm(Schema):
    form_id = fields.UUID(required=True)
    text = MultilineText(
        required=True,
        validate=[validate.Length(max=MAX_TEXT_LENGTH), _not_blank],
    )


PAGE_RESPONSES = {
    "200": {"description": "A small HTML page", "content": {"text/html": {}}},
    "303": {"description": "Noted; back to the client's page"},
    "400": {"description": "The link is not valid (HTML page)"},
    "404": {"description": "No such client, or no such step on the page (HTML page)"},
    "410": {"description": "The link has expired (HTML page)"},
    "422": {"description": "A form field is missing or not acceptable (HTML page)"},
}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}


def _form_doc(schema: type[Schema]) -> dict:
    return {
        "security": [],
        "parameters": [TOKEN],
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        },
        "responses": PAGE_RESPONSES,
    }


LINK_DOC = {"security": [], "parameters": [TOKEN], "responses": PAGE_RESPONSES}
PAGE_DOC = {
    "security": [],
    "parameters": [
        TOKEN,
        {
            "name": "noted",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": sorted(NOTED)},
        },
    ],
    "responses": PAGE_RESPONSES,
}


@client_pages.after_request
def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


# -- pages ---------------------------------------------------------------------------------


def _page(title: str, *paragraphs: str, status: int = 200, **context) -> Response:
    html = render_template(
        "client/message.html", lang=HTML_LANGUAGE, title=title, paragraphs=paragraphs, **context
    )
    return Response(html, status=status, mimetype="text/html")


def _refused(exc: LinkRefused) -> Response:
    if exc.why == "expired":
        return _page(
            "This link has expired",
            "Links in our emails work for a limited time. Use the link in a more recent "
            "email, or reply to any of our text messages.",
            status=410,
        )
    return _page(
        "This link is not valid",
        "We could not read this link. Please copy the whole link from the email, or use the "
        "link in a more recent email.",
        status=400,
    )


def _gone() -> Response:
    return _page(
        "This link is no longer valid",
        "We have nothing on record for this link. If you think that is wrong, please contact "
        "your coach.",
        status=404,
    )


def _invalid_form(error: ValidationError, token: str) -> Response:
    named = ", ".join(sorted(error.messages)) if isinstance(error.messages, dict) else "form"
    return _page(
        "Please check what you sent",
        f"Something in the form could not be used ({named}). Go back, check it and try again.",
        status=422,
        page_url=url_for("client_pages.my_page", token=token),
    )


def _read_form(schema: type[Schema]) -> dict:
    return schema().load(request.form.to_dict(), unknown=EXCLUDE)


# -- reading and recording -------------------------------------------------------------------


def _contact(session, tenant_id: uuid.UUID, client_id: uuid.UUID) -> Contact | None:
    """The client a link names, unless they were erased (their links die with them)."""
    contact = session.get(Contact, (tenant_id, client_id))
    return None if contact is None or contact.status == "erased" else contact


def _step(session, contact: Contact, action_id: uuid.UUID, key: str | None) -> PlannedStep | None:
    if key is None:
        return None
    step = session.get(PlannedStep, (contact.tenant_id, action_id, key))
    return step if step is not None and step.client_id == contact.client_id else None


# Builds the reply to record, in the recording's transaction; or says why there is none.
Answer = Callable[[object, Contact], "replies.ClientReply | str"]


def _record(tenant_id: uuid.UUID, client_id: uuid.UUID, answer: Answer) -> tuple[str, str | None]:
    """Record what ``answer`` builds for the client. The outcome is "recorded", "already"
    (recorded before, or the step is done already), "gone" (no such client) or "missing"
    (no such step); with the reply's intent when there was one."""
    runtime = current_runtime()
    reply = None
    try:
        with runtime.unit_of_work() as uow:
            contact = _contact(uow.session, tenant_id, client_id)
            if contact is None:
                return "gone", None
            reply = answer(uow.session, contact)
            if not isinstance(reply, replies.ClientReply):
                return reply, None
            recorded = replies.record_reply(uow, contact, reply, runtime.clock())
            uow.commit()
    except IntegrityError:
        # A double click raced the first, which recorded it.
        return "already", reply.intent if reply is not None else None
    if not recorded:
        return "already", reply.intent
    log.info(
        "client reply recorded",
        extra={"reply_id": str(reply.reply_id), "intent": reply.intent, "channel": reply.channel},
    )
    return "recorded", reply.intent


def _done(reply_id: uuid.UUID, channel: str, action_id: uuid.UUID, key: str | None) -> Answer:
    def answer(session, contact: Contact):
        step = _step(session, contact, action_id, key)
        if step is not None and step.status == "completed":
            return "already"
        if channel == "web" and (step is None or step.status == "cancelled"):
            return "missing"  # the page offers only the steps it shows
        return replies.ClientReply(
            reply_id,
            channel,
            current_runtime().clock(),
            "done",
            action_id=action_id,
            occurrence_key=key,
            action_title=step.title if step is not None else None,
        )

    return answer


# -- the email links ---------------------------------------------------------------------------


@client_pages.route("/r/<token>", methods=["GET"])
@client_pages.doc(**LINK_DOC)
def reply_link_page(token: str):
    """What the link would say, with a button; records nothing (mail scanners follow links)."""
    runtime = current_runtime()
    try:
        link = read_reply_link(runtime.settings.jwt_secret, token, runtime.clock())
    except LinkRefused as exc:
        return _refused(exc)
    with runtime.session_factory() as session:
        contact = _contact(session, link.tenant_id, link.client_id)
        if contact is None:
            return _gone()
        already = session.get(ReceivedReply, link.reply_id) is not None
        title = None
        if link.intent == "done":
            step = _step(session, contact, link.action_id, link.occurrence_key)
            already = already or (step is not None and step.status == "completed")
            title = step.title if step is not None else None
    if already:
        return _page("Already noted", "We already have this. Thank you.")
    if link.intent == "done":
        return _page(
            "Did you do it?",
            f"Tell your coach you did: {title}." if title else "Tell your coach you did this step.",
            form_action=url_for("client_pages.reply_link_answer", token=token),
            button="Yes, I did it",
        )
    return _page(
        "How are you feeling?",
        f"Save {link.rating} out of 10 as how you are feeling today?",
        form_action=url_for("client_pages.reply_link_answer", token=token),
        button=f"Save {link.rating}/10",
    )


@client_pages.route("/r/<token>", methods=["POST"])
@client_pages.doc(**LINK_DOC)
def reply_link_answer(token: str):
    """Record the link's answer, once: a second POST of the same link says "already noted"."""
    runtime = current_runtime()
    now = runtime.clock()
    try:
        link = read_reply_link(runtime.settings.jwt_secret, token, now)
    except LinkRefused as exc:
        return _refused(exc)
    if link.intent == "done":
        answer = _done(link.reply_id, "email", link.action_id, link.occurrence_key)
    else:

        def answer(_session, _contact):
            return replies.ClientReply(link.reply_id, "email", now, "mood", rating=link.rating)

    outcome, _intent = _record(link.tenant_id, link.client_id, answer)
    if outcome == "gone":
        return _gone()
    my_page = url_for(
        "client_pages.my_page",
        token=page_token(runtime.settings.jwt_secret, now, link.tenant_id, link.client_id),
    )
    if outcome == "already":
        return _page("Already noted", "We already have this. Thank you.", page_url=my_page)
    if link.intent == "done":
        return _page(
            "Well done", "That step is marked done. Your coach will see it.", page_url=my_page
        )
    return _page("Thank you", f"Noted: {link.rating} out of 10.", page_url=my_page)


# -- the client's own page --------------------------------------------------------------------


def _week(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """This local week, Monday to Monday, in the client's timezone."""
    tz = zone(timezone)
    monday = now.astimezone(tz).date() - timedelta(days=now.astimezone(tz).weekday())
    starts = datetime.combine(monday, time(0), tzinfo=tz)
    ends = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return starts, ends


def _steps_of_week(session, contact: Contact, now: datetime) -> list[dict]:
    starts, ends = _week(now, contact.timezone)
    steps = list(
        session.scalars(
            select(PlannedStep)
            .where(
                PlannedStep.tenant_id == contact.tenant_id,
                PlannedStep.client_id == contact.client_id,
                PlannedStep.due_at >= starts,
                PlannedStep.due_at < ends,
                PlannedStep.status != "cancelled",
            )
            .order_by(PlannedStep.due_at)
            .limit(MAX_STEPS_SHOWN)
        )
    )
    ids = {
        s.occurrence_key: done_reply_id(s.tenant_id, s.action_id, s.occurrence_key) for s in steps
    }
    # Done here a moment ago: plans has not confirmed it yet, but the client has said so.
    noted = (
        set(session.scalars(select(ReceivedReply.id).where(ReceivedReply.id.in_(ids.values()))))
        if ids
        else set()
    )
    return [
        {
            "title": s.title,
            "when": local_label(s.due_at, contact.timezone),
            "action_id": s.action_id,
            "occurrence_key": s.occurrence_key,
            "done": s.status == "completed" or ids[s.occurrence_key] in noted,
        }
        for s in steps
    ]


def _page_link(token: str):
    runtime = current_runtime()
    return read_page_link(runtime.settings.jwt_secret, token, runtime.clock())


@client_pages.route("/me/<token>", methods=["GET"])
@client_pages.doc(**PAGE_DOC)
def my_page(token: str):
    """This week's steps with a Done button each, a 1-10 mood form and a journal box."""
    runtime = current_runtime()
    try:
        link = _page_link(token)
    except LinkRefused as exc:
        return _refused(exc)
    noted = request.args.get("noted")
    with runtime.session_factory() as session:
        contact = _contact(session, link.tenant_id, link.client_id)
        if contact is None:
            return _gone()
        steps = _steps_of_week(session, contact, runtime.clock())
        name = contact.display_name
        crisis_text = (
            crisis_text_for(session, contact.tenant_id, region_of(contact))
            if noted == "crisis"
            else None
        )
    html = render_template(
        "client/me.html",
        lang=HTML_LANGUAGE,
        title=f"Hi {name}",
        noted=NOTED.get(noted or ""),
        crisis_text=crisis_text,
        steps=steps,
        ratings=RATINGS,
        form_id=uuid.uuid4(),  # a double submit of one form is one answer
        journal_limit=MAX_TEXT_LENGTH,
        done_action=url_for("client_pages.page_done", token=token),
        mood_action=url_for("client_pages.page_mood", token=token),
        journal_action=url_for("client_pages.page_journal", token=token),
    )
    return Response(html, mimetype="text/html")


def _back(token: str, noted: str) -> Response:
    # Post/Redirect/Get: reloading the page does not send the form again.
    return redirect(url_for("client_pages.my_page", token=token, noted=noted), code=303)


def _page_answer(token: str, schema: type[Schema], answer_of) -> Response:
    """Read the page's link and form, record the answer ``answer_of(link, form)`` builds,
    and go back to the page saying what was noted."""
    try:
        link = _page_link(token)
    except LinkRefused as exc:
        return _refused(exc)
    try:
        form = _read_form(schema)
    except ValidationError as exc:
        return _invalid_form(exc, token)
    outcome, intent = _record(link.tenant_id, link.client_id, answer_of(link, form))
    if outcome == "gone":
        return _gone()
    if outcome == "missing":
        return _page(
            "That step is not on your page",
            "Go back to your page and try again.",
            status=404,
            page_url=url_for("client_pages.my_page", token=token),
        )
    if outcome == "already" and intent in (None, "done"):
        return _back(token, "already_done")
    return _back(token, intent)


@client_pages.route("/me/<token>/done", methods=["POST"])
@client_pages.doc(**_form_doc(DoneForm))
def page_done(token: str):
    """A step done (once per occurrence: a second Done says it already is)."""

    def answer_of(link, form):
        reply_id = done_reply_id(link.tenant_id, form["action_id"], form["occurrence_key"])
        return _done(reply_id, "web", form["action_id"], form["occurrence_key"])

    return _page_answer(token, DoneForm, answer_of)


@client_pages.route("/me/<token>/mood", methods=["POST"])
@client_pages.doc(**_form_doc(MoodForm))
def page_mood(token: str):
    """A 1-10 self-rating: a wellbeing point with source ``client`` in plans."""

    def answer_of(link, form):
        reply_id = reply_id_for("page-mood", link.tenant_id, link.client_id, form["form_id"])
        now = current_runtime().clock()
        return lambda _session, _contact: replies.ClientReply(
            reply_id, "web", now, "mood", rating=form["rating"]
        )

    return _page_answer(token, MoodForm, answer_of)


@client_pages.route("/me/<token>/journal", methods=["POST"])
@client_pages.doc(**_form_doc(JournalForm))
def page_journal(token: str):
    """A note for the coach. Read for the organisation's crisis phrases first, as a text
    message is: one naming a crisis gets the crisis text and the coach is alerted."""

    def answer_of(link, form):
        reply_id = reply_id_for("page-journal", link.tenant_id, link.client_id, form["form_id"])
        text = form["text"].strip()
        now = current_runtime().clock()

        def answer(session, contact):
            phrases = crisis_settings_for(session, contact.tenant_id).phrases
            intent = "crisis" if mentions_crisis(text, phrases) else "journal"
            return replies.ClientReply(reply_id, "web", now, intent, text=text)

        return answer

    return _page_answer(token, JournalForm, answer_of)
