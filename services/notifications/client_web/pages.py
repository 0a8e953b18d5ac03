"""The client's answers on the web, from signed links (see ``client_links``): the "I did
it" and 1-10 links of an email (``/r/{token}``) and the client's own page (``/me/{token}``).

Small server-rendered pages, no JavaScript. A link's GET only shows a page with a button
(mail scanners follow links); a POST records the answer through ``client_page_answers``,
exactly as a text message would be, once per reply id. Every page is sent with headers
that keep it out of frames, caches and Referer headers: the token in its URL is the key.

A link that opens nothing shows no personal data and records nothing: a link not valid
(400) or expired, or sent to an address that is no longer the client's (410); a client
whose time with the service has ended (410, with where to get help); an erased or unknown
client (404). What the pages say is in ``client_page_wording``.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import Response, redirect, render_template, request, url_for
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, ValidationError, fields, validate

from services.notifications.client_web import use_cases
from services.notifications.client_web.answers import (
    LinkClosed,
    Recorded,
    done_answer,
    mood_answer,
    record_answer,
    undo_done,
)
from services.notifications.client_web.links import (
    RATINGS,
    LinkRefused,
    PageLink,
    ReplyLink,
    done_reply_id,
    page_token_from,
    read_page_link,
    read_reply_link,
    reply_id_for,
)
from services.notifications.client_web.page_wording import (
    NOTED,
    HelpLines,
    ended_page,
    invalid_form_page,
    is_low,
    later_step_page,
    message_page,
    noted_key,
    refused_page,
    undo_refused_page,
    unknown_page,
)
from services.notifications.client_web.phone_links import linked_phone_numbers
from services.notifications.client_web.speaking import gettext as _
from services.notifications.client_web.speaking import html_lang, install, speak_to
from services.notifications.replies import recording as replies
from services.notifications.replies.crisis_settings import crisis_settings_for
from services.notifications.replies.reading import MAX_TEXT_LENGTH, mentions_crisis
from shared.runtime import current_runtime
from shared.validation import MultilineText, Schema

client_pages = Blueprint(
    "client_pages",
    __name__,
    template_folder="templates",
    description="The client's answers from an email link and their own page (HTML, from "
    "signed links; no staff token).",
)
client_pages.add_app_template_filter(linked_phone_numbers, "phone_links")
client_pages.record_once(lambda state: install(state.app))

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class DoneForm(Schema):
    action_id = fields.UUID(required=True)
    occurrence_key = fields.String(required=True, validate=validate.Length(min=1, max=100))


class UndoForm(Schema):
    action_id = fields.UUID(required=True)
    occurrence_key = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RatingChoiceForm(Schema):
    rating = fields.Integer(load_default=None, strict=False, validate=validate.Range(1, 10))


class MoodForm(Schema):
    form_id = fields.UUID(required=True)
    rating = fields.Integer(required=True, strict=False, validate=validate.Range(1, 10))


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError(_("Write something first."))


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
    "410": {
        "description": "The link has expired, or the client's time with the service has "
        "ended (HTML page)"
    },
    "409": {"description": "That Done can no longer be undone (HTML page)"},
    "422": {
        "description": "A form field is missing or not acceptable, or the step is not due "
        "yet (HTML page)"
    },
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


def guard_link_pages(blueprint: Blueprint) -> None:
    """What every page behind the client's signed link does: the security headers on each
    answer, and a link refused or closed shows nothing of the client, whatever it said."""

    @blueprint.after_request
    def _secured(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    @blueprint.errorhandler(LinkRefused)
    def _refused(exc: LinkRefused) -> Response:
        return refused_page(exc)

    @blueprint.errorhandler(LinkClosed)
    def _closed(exc: LinkClosed) -> Response:
        if exc.why == "readdressed":
            return refused_page(LinkRefused("expired"))
        if exc.why == "ended":
            return ended_page(_help_for(exc.link))
        return unknown_page()


guard_link_pages(client_pages)


def _help_for(link: ReplyLink | PageLink) -> HelpLines:
    return use_cases.help_for(current_runtime().unit_of_work(), link)


def _record(link: ReplyLink | PageLink, answer) -> Recorded:
    """The answer recorded in a unit of work of its own (``record_answer`` commits it)."""
    runtime = current_runtime()
    return record_answer(runtime.unit_of_work(), runtime.settings.jwt_secret, link, answer)


def _read_form(schema: type[Schema]) -> dict:
    return schema().load(request.form.to_dict(), unknown=EXCLUDE)


# -- the email links ---------------------------------------------------------------------------


def _reply_link(token: str):
    runtime = current_runtime()
    link = read_reply_link(runtime.settings.jwt_secret, token, runtime.clock())
    speak_to(link.tenant_id, link.client_id)
    return link


@client_pages.route("/r/<token>", methods=["GET"])
@client_pages.doc(**LINK_DOC)
def reply_link_page(token: str):
    """What the link would say, with a button; records nothing (mail scanners follow links)."""
    runtime = current_runtime()
    link = _reply_link(token)
    already, title = use_cases.reply_link_state(
        runtime.unit_of_work(), runtime.settings.jwt_secret, link
    )
    if already:
        return message_page(_("Already noted"), _("We already have this. Thank you."))
    if link.intent == "done":
        return message_page(
            _("Did you do it?"),
            _("Tell your coach you did: {title}.").format(title=title)
            if title
            else _("Tell your coach you did this step."),
            form_action=url_for("client_pages.reply_link_answer", token=token),
            button=_("Yes, I did it"),
        )
    return message_page(
        _("How are you feeling?"),
        _("Save {rating} out of 10 as how you are feeling today?").format(rating=link.rating),
        _("Or choose another number, from 1 (very low) to 10 (great)."),
        form_action=url_for("client_pages.reply_link_answer", token=token),
        ratings=RATINGS,
        chosen=link.rating,
    )


@client_pages.route("/r/<token>", methods=["POST"])
@client_pages.doc(
    **LINK_DOC
    | {
        "requestBody": {
            "required": False,
            "content": {"application/x-www-form-urlencoded": {"schema": RatingChoiceForm}},
        }
    }
)
def reply_link_answer(token: str):
    """Record the link's answer, once: a second POST of the same link says "already noted".
    The page link it offers expires no later than this link."""
    runtime = current_runtime()
    now = runtime.clock()
    link = _reply_link(token)
    if link.intent == "mood":
        try:
            chosen = _read_form(RatingChoiceForm)["rating"]
        except ValidationError as exc:
            return invalid_form_page(exc, None)
        # Another number than the link's is the answer that number's link would give.
        link = replace(link, rating=chosen or link.rating)
    if link.intent == "done":
        answer = done_answer(link.reply_id, "email", link.action_id, link.occurrence_key, now)
    else:
        answer = mood_answer(link.reply_id, "email", now, link.rating)
    outcome = _record(link, answer).outcome
    my_page = url_for(
        "client_pages.my_page", token=page_token_from(runtime.settings.jwt_secret, now, link)
    )
    support = _help_for(link) if link.intent == "mood" and is_low(link.rating) else None
    if outcome == "already":
        return message_page(
            _("Already noted"),
            _("We already have this. Thank you."),
            page_url=my_page,
            support=support,
        )
    if link.intent == "done":
        return message_page(
            _("Well done"), _("That step is marked done. Your coach will see it."), page_url=my_page
        )
    if support is not None:
        return message_page(
            _("Thank you"),
            _("Noted: {rating} out of 10. We are sorry today is hard.").format(rating=link.rating),
            _("If you would like to talk to someone, you can reach:"),
            page_url=my_page,
            support=support,
        )
    return message_page(
        _("Thank you"), _("Noted: {rating} out of 10.").format(rating=link.rating), page_url=my_page
    )


# -- the client's own page --------------------------------------------------------------------


def _page_link(token: str):
    runtime = current_runtime()
    link = read_page_link(runtime.settings.jwt_secret, token, runtime.clock())
    speak_to(link.tenant_id, link.client_id)
    return link


@client_pages.route("/me/<token>", methods=["GET"])
@client_pages.doc(**PAGE_DOC)
def my_page(token: str):
    """This week's steps (a Done button for today's and earlier ones, an undo for the
    latest Done), their progress and coach, where to get help, a 1-10 mood form with
    their last four weeks of ratings and a journal box, a link to their safety plan;
    after an answer, what was noted (with where to get help after a low rating or a
    crisis)."""
    runtime = current_runtime()
    now = runtime.clock()
    link = _page_link(token)
    page = use_cases.week_page(
        runtime.unit_of_work(), runtime.settings.jwt_secret, link, request.args.get("noted"), now
    )
    html = render_template(
        "client/me.html",
        lang=html_lang(),
        title=_("Hi {name}").format(name=page.name),
        note=page.note,
        steps=page.steps,
        progress=page.progress,
        coach_name=page.coach,
        help=page.support,
        ratings=RATINGS,
        recent_ratings=page.ratings,
        todays_rating=page.today,
        form_id=uuid.uuid4(),  # a double submit of one form is one answer
        journal_limit=MAX_TEXT_LENGTH,
        done_action=url_for("client_pages.page_done", token=token),
        undo_action=url_for("client_pages.page_undo", token=token),
        mood_action=url_for("client_pages.page_mood", token=token),
        journal_action=url_for("client_pages.page_journal", token=token),
        safety_plan_url=url_for("safety_plan_pages.plan", token=token),
    )
    return Response(html, mimetype="text/html")


def _back(token: str, noted: str | None) -> Response:
    # Post/Redirect/Get: reloading the page does not send the form again.
    return redirect(url_for("client_pages.my_page", token=token, noted=noted), code=303)


def _page_answer(token: str, schema: type[Schema], answer_of) -> Response:
    """Read the page's link and form, record the answer ``answer_of(link, form)`` builds,
    and go back to the page saying what was noted."""
    link = _page_link(token)
    try:
        form = _read_form(schema)
    except ValidationError as exc:
        return invalid_form_page(exc, token)
    recorded = _record(link, answer_of(link, form))
    if recorded.outcome == "missing":
        return message_page(
            _("That step is not on your page"),
            _("Go back to your page and try again."),
            status=404,
            page_url=url_for("client_pages.my_page", token=token),
        )
    if recorded.outcome == "later":
        return later_step_page(token)
    reply = recorded.reply
    if recorded.outcome == "already" and (reply is None or reply.intent == "done"):
        return _back(token, "already_done")
    return _back(token, noted_key(reply.intent, reply.rating))


@client_pages.route("/me/<token>/done", methods=["POST"])
@client_pages.doc(**_form_doc(DoneForm))
def page_done(token: str):
    """A step done (once per occurrence: a second Done says it already is)."""

    def answer_of(link, form):
        reply_id = done_reply_id(link.tenant_id, form["action_id"], form["occurrence_key"])
        now = current_runtime().clock()
        return done_answer(reply_id, "web", form["action_id"], form["occurrence_key"], now)

    return _page_answer(token, DoneForm, answer_of)


@client_pages.route("/me/<token>/undo", methods=["POST"])
@client_pages.doc(**_form_doc(UndoForm))
def page_undo(token: str):
    """Take back the latest Done within 10 minutes: here at once, and in plans (and so for
    the coach) through ``action.completion_withdrawn``."""
    link = _page_link(token)
    try:
        form = _read_form(UndoForm)
    except ValidationError as exc:
        return invalid_form_page(exc, token)
    runtime = current_runtime()
    secret = runtime.settings.jwt_secret
    if not undo_done(
        runtime.unit_of_work(), secret, link, form["action_id"], form["occurrence_key"]
    ):
        return undo_refused_page(token)
    return _back(token, "undone")


@client_pages.route("/me/<token>/mood", methods=["POST"])
@client_pages.doc(**_form_doc(MoodForm))
def page_mood(token: str):
    """A 1-10 self-rating: a wellbeing point with source ``client`` in plans."""

    def answer_of(link, form):
        reply_id = reply_id_for("page-mood", link.tenant_id, link.client_id, form["form_id"])
        return mood_answer(reply_id, "web", current_runtime().clock(), form["rating"])

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
