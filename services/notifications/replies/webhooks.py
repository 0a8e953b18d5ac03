"""The SMS provider's webhooks: texts from clients and delivery reports, signed with the
account's auth token (no staff token)."""

from __future__ import annotations

import logging

from flask import Response, request
from flask_smorest import Blueprint

from services.notifications.replies import inbound_sms, use_cases
from services.notifications.replies import recording as replies
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, signature_valid
from shared.errors import NotAllowed
from shared.runtime import current_runtime

log = logging.getLogger(__name__)

webhooks = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/v1/webhooks",
    description="Called by the SMS provider; signed with the account's auth token.",
)

EMPTY_REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
WEBHOOK_DOC = {
    "security": [],
    "parameters": [
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "base64 HMAC-SHA1 of the URL and the sorted form parameters",
        }
    ],
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        }
    },
    "responses": {
        "200": {"description": "Accepted", "content": {"text/xml": {"schema": {"type": "string"}}}},
        "403": {"description": "Missing or bad signature"},
    },
}


def _verify_signature() -> None:
    """Signed by the SMS provider, or by the second provider when one is configured (its
    status reports and the texts to its number come here too)."""
    settings = current_runtime().settings
    tokens = [t for t in (settings.sms_auth_token, settings.sms_fallback_auth_token) if t]
    signature = request.headers.get(SIGNATURE_HEADER, "")
    url = settings.public_base_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode(errors="replace")
    params = [(key, value) for key in request.form for value in request.form.getlist(key)]
    if not signature or not any(signature_valid(t, url, params, signature) for t in tokens):
        raise NotAllowed("The request signature is missing or wrong.")


def _xml(body: str = EMPTY_REPLY) -> Response:
    return Response(body, mimetype="text/xml")


@webhooks.route("/sms/inbound", methods=["POST"])
@webhooks.doc(**WEBHOOK_DOC)
def sms_inbound():
    """A text from a client: STOP (and its synonyms), START, HELP; any other text is a
    reply (crisis, mood, done, journal: see ``replies``), routed by the number it was sent
    to and the number it came from to the record its sender confirmed
    (``reply_routing``). Answers are sent as SMS.

    Each message id is acted on once: a provider retry or a replayed request is answered
    200 and changes nothing. A STOP or START sent before the client's latest one is
    ignored (ordered by the provider's timestamp when it gives one, else by receipt).
    """
    _verify_signature()
    message_sid = inbound_sms.message_sid_of(request.form)
    sender = request.form.get("From", "").strip()
    if not sender or not message_sid:
        return _xml()
    runtime = current_runtime()
    replies.receive_sms(
        runtime.unit_of_work(),
        replies.InboundText(
            message_sid=message_sid,
            sender=sender[:32],
            to_number=request.form.get("To", "").strip()[:32],
            body=request.form.get("Body", ""),
            sent_at=inbound_sms.sent_at_of(request.form, runtime.clock()),
        ),
    )
    return _xml()


@webhooks.route("/sms/status", methods=["POST"])
@webhooks.doc(**WEBHOOK_DOC)
def sms_status():
    """The provider's delivery report for a message we sent."""
    _verify_signature()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").lower()
    if not sid or not status:
        return _xml()
    use_cases.record_delivery_status(
        current_runtime().unit_of_work(), sid, status[:20], request.form.get("ErrorCode")
    )
    return _xml()
