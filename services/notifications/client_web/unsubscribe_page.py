"""The one-click unsubscribe page (RFC 8058), reached from the signed link in every email
(no staff token)."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from markupsafe import escape

from services.notifications.client_web import use_cases
from services.notifications.client_web.speaking import gettext as _
from services.notifications.client_web.speaking import html_lang, speak_to
from services.notifications.client_web.unsubscribe_tokens import TokenRefused, read_token
from shared.runtime import current_runtime

unsubscribe = Blueprint(
    "unsubscribe", __name__, description="One-click unsubscribe (RFC 8058), from a signed link."
)

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}}button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""

UNSUBSCRIBE_DOC = {
    "security": [],
    "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
    "responses": {
        "200": {"description": "A small HTML page", "content": {"text/html": {}}},
        "400": {"description": "The link is not valid or has expired (HTML page)"},
    },
}


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(
        PAGE.format(lang=html_lang(), title=escape(title), body=body),
        status=status,
        mimetype="text/html",
    )


def _refused(exc: TokenRefused) -> Response:
    if exc.why == "expired":
        return _page(
            _("This link has expired"),
            _paragraph(
                _(
                    "This unsubscribe link is too old. Use the link in a more recent email, "
                    "or reply to any of our messages and we will stop them."
                )
            ),
            400,
        )
    return _page(
        _("This link is not valid"),
        _paragraph(
            _(
                "We could not read this unsubscribe link. Please copy the whole link from "
                "the email, or use the link in a more recent email."
            )
        ),
        400,
    )


def _paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _no_more_emails(name: str) -> str:
    return _paragraph(
        _(
            "You will get no more emails from {organisation}. Text messages, if you get "
            "them, are not affected."
        ).format(organisation=_(name))  # "us" is a message too
    )


@unsubscribe.route("/unsubscribe/<path:token>", methods=["GET"])
@unsubscribe.doc(**UNSUBSCRIBE_DOC)
def unsubscribe_page(token: str):
    """A page asking to confirm (a link scanner's GET must not unsubscribe anyone)."""
    runtime = current_runtime()
    try:
        wanted = read_token(runtime.settings.jwt_secret, token)
    except TokenRefused as exc:
        return _refused(exc)
    speak_to(wanted.tenant_id, wanted.client_id)
    name = use_cases.organisation_name(runtime.unit_of_work(), wanted.tenant_id)
    return _page(
        _("Stop these emails?"),
        f'<form method="post" action="/unsubscribe/{escape(token)}">'
        f"{_no_more_emails(name)}"
        '<button type="submit" name="List-Unsubscribe" value="One-Click">'
        f"{escape(_('Unsubscribe'))}</button></form>",
    )


@unsubscribe.route("/unsubscribe/<path:token>", methods=["POST"])
@unsubscribe.doc(**UNSUBSCRIBE_DOC)
def unsubscribe_confirm(token: str):
    """Unsubscribe (RFC 8058 one-click, or the page's button); doing it twice is harmless."""
    runtime = current_runtime()
    try:
        wanted = read_token(runtime.settings.jwt_secret, token)
    except TokenRefused as exc:
        return _refused(exc)
    speak_to(wanted.tenant_id, wanted.client_id)
    name = use_cases.unsubscribe(runtime.unit_of_work(), wanted.tenant_id, wanted.client_id)
    return _page(_("You are unsubscribed"), _no_more_emails(name))
