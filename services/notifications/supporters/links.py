"""The signed link in every message to a supporter, and its small page: GET shows what
the invitation is and two buttons; POST confirms (``action=confirm``) or leaves
(``action=leave``). No JavaScript; a GET changes nothing (mail scanners follow links).
The page speaks the client's language (the client chose the supporter); a link that
opens nothing, the browser's."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_smorest import Blueprint

from services.notifications.client_web.pages import SECURITY_HEADERS
from services.notifications.client_web.speaking import gettext as _
from services.notifications.client_web.speaking import html_lang, speak
from services.notifications.supporters import use_cases
from services.notifications.supporters.tokens import BadSignature, read_token
from shared.runtime import current_runtime

supporter_pages = Blueprint(
    "supporter_pages",
    __name__,
    template_folder="templates",
    description="The page a supporter's invitation links to: confirm, or leave (HTML).",
)


def _page(title: str, status: int, **context) -> Response:
    html = render_template("supporter/choice.html", lang=html_lang(), title=title, **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    return response


def _not_valid() -> Response:
    return _page(_("This link is not valid or has expired"), 404, paragraphs=(), actions=())


def _ids(token: str):
    runtime = current_runtime()
    try:
        return read_token(runtime.settings.jwt_secret, token, runtime.clock())
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


@supporter_pages.route("/supporters/<string:token>", methods=["GET"])
@supporter_pages.doc(security=[], responses={"200": {"description": "The supporter's choice"}})
def supporter_page(token: str):
    """What being a supporter means, with a button to confirm (if invited) and to leave."""
    ids = _ids(token)
    shown = use_cases.supporter_view(current_runtime().unit_of_work(), *ids) if ids else None
    if shown is None:
        return _not_valid()
    speak(shown.pop("language"))
    title = shown.pop("title")
    return _page(title, 200, form_action=request.path, **shown)


@supporter_pages.route("/supporters/<string:token>", methods=["POST"])
@supporter_pages.doc(security=[], responses={"200": {"description": "Confirmed, or left"}})
def supporter_choice(token: str):
    """Confirm (``action=confirm``) or leave (``action=leave``)."""
    ids = _ids(token)
    action = request.form.get("action", "")
    if ids is None:
        return _not_valid()
    if action not in ("confirm", "leave"):
        return _page(_("Please choose one of the buttons"), 400, paragraphs=(), actions=())
    done = use_cases.supporter_chose(current_runtime().unit_of_work(), *ids, action)
    if done is None:
        return _not_valid()
    title, language = done
    speak(language)
    return _page(title, 200, paragraphs=(), actions=())
