"""The signed link in a coach's crisis alert (and in an escalation to the on-call list),
and the small page it opens: who, their phone, when, the latest words. For the person
the alert was sent to; it expires after ``ALERT_LINK_DAYS``.

Its GET shows the page and changes nothing (mail scanners follow links); the page's
button POSTs to the same link, which acknowledges the alert once (``alerts``): a second
POST, or one after someone else acknowledged, shows who owns it and changes nothing."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta

from flask import Response, render_template
from flask_smorest import Blueprint
from itsdangerous import BadSignature, URLSafeSerializer

from services.notifications.models import Contact
from services.notifications.replies import use_cases
from shared.runtime import current_runtime

ALERT_SALT = "crisis-alert"
ALERT_LINK_DAYS = 7
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

alert_pages = Blueprint(
    "alert_pages",
    __name__,
    template_folder="templates",
    description="The page a coach's crisis alert links to (HTML, from a signed link).",
)


@functools.lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=ALERT_SALT)


def alert_token(secret: str, contact: Contact, alert_id, staff_id, now: datetime) -> str:
    expires = int((now + timedelta(days=ALERT_LINK_DAYS)).timestamp())
    claims = {"t": str(contact.tenant_id), "c": str(contact.client_id), "a": str(alert_id)}
    return _serializer(secret).dumps(claims | {"s": str(staff_id), "e": expires})


def alert_url(secret: str, base_url: str, contact: Contact, alert_id, staff_id, now) -> str:
    return f"{base_url}/alerts/{alert_token(secret, contact, alert_id, staff_id, now)}"


def _read(secret: str, token: str, now: datetime) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, str]:
    claims = _serializer(secret).loads(token)
    if not isinstance(claims, dict) or claims.get("e", 0) < now.timestamp():
        raise BadSignature("expired")
    recipient = claims.get("s")
    return (
        uuid.UUID(claims["t"]),
        uuid.UUID(claims["c"]),
        uuid.UUID(claims["a"]),
        recipient if isinstance(recipient, str) else "",
    )


def _page(title: str, status: int, template: str = "client/message.html", **context) -> Response:
    html = render_template(template, lang="en", title=title, **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    return response


@alert_pages.route("/alerts/<string:token>", methods=["GET"])
@alert_pages.doc(security=[], responses={"200": {"description": "The alert"}})
def crisis_alert_page(token: str):
    """The crisis alert's details for the person it was sent to, with a button to
    acknowledge it; reading it changes nothing."""
    runtime = current_runtime()
    try:
        tenant_id, client_id, alert_id, _ = _read(
            runtime.settings.jwt_secret, token, runtime.clock()
        )
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return _page("This link is not valid or has expired", 404, paragraphs=())
    shown = use_cases.crisis_alert(runtime.unit_of_work(), tenant_id, client_id, alert_id)
    if shown is None:
        return _page("This link is not valid or has expired", 404, paragraphs=())
    return _page(f"Crisis alert: {shown['client_name']}", 200, "alert/alert.html", **shown)


@alert_pages.route("/alerts/<string:token>", methods=["POST"])
@alert_pages.doc(security=[], responses={"200": {"description": "The alert, acknowledged"}})
def acknowledge_crisis_alert(token: str):
    """Acknowledge the alert (once: again, it only shows who owns it)."""
    runtime = current_runtime()
    try:
        tenant_id, client_id, alert_id, recipient = _read(
            runtime.settings.jwt_secret, token, runtime.clock()
        )
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return _page("This link is not valid or has expired", 404, paragraphs=())
    shown = use_cases.acknowledge_by_link(
        runtime.unit_of_work(), tenant_id, client_id, alert_id, recipient
    )
    if shown is None:
        return _page("This link is not valid or has expired", 404, paragraphs=())
    return _page(f"Crisis alert: {shown['client_name']}", 200, "alert/alert.html", **shown)
