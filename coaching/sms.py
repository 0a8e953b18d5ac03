"""``coaching sms``: text the running platform as a client would, to try replies locally.

It builds the form an SMS provider posts for an inbound text, signs it as the provider
does (``services.notifications.replies.webhook_signature``, keyed with ``SMS_AUTH_TOKEN``, which
``coaching run`` generates under ``var/secrets`` on the embedded default) and posts it to
the notifications API's ``/v1/webhooks/sms/inbound``. The answer, if any, is an SMS the
dispatcher writes to ``var/outbox`` (or sends through the configured provider).
"""

from __future__ import annotations

import argparse
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from services.notifications.channels.file_outbox import outbox_folder
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature
from shared.config import LOCAL_SMS_NUMBER, Settings

INBOUND_PATH = "/v1/webhooks/sms/inbound"
# (url, form, headers) -> HTTP status; urllib by default, a test client in tests.
Post = Callable[[str, dict[str, str], dict[str, str]], int]


class NoSigningKey(ValueError):
    """Neither ``SMS_AUTH_TOKEN`` nor the embedded default's key: nothing to sign with."""


@dataclass(frozen=True)
class InboundText:
    """A text as the provider would deliver it to the inbound webhook."""

    sender: str
    to_number: str
    body: str
    message_sid: str

    def form(self) -> dict[str, str]:
        return {
            "MessageSid": self.message_sid,
            "From": self.sender,
            "To": self.to_number,
            "Body": self.body,
        }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("body", help='what the client texts, e.g. "I feel 7 today"')
    parser.add_argument(
        "--from", dest="sender", required=True, help="the client's phone, e.g. +61412345678"
    )
    parser.add_argument(
        "--to",
        dest="to_number",
        default=None,
        help=f"the number texted (default: SMS_FROM, or {LOCAL_SMS_NUMBER})",
    )


def inbound_text(settings: Settings, sender: str, body: str, to_number: str | None) -> InboundText:
    return InboundText(
        sender=sender,
        to_number=to_number or settings.sms_from or LOCAL_SMS_NUMBER,
        body=body,
        message_sid=f"SM{uuid.uuid4().hex}",  # a provider's sid: each text is acted on once
    )


def signed_headers(settings: Settings, text: InboundText) -> dict[str, str]:
    """The provider's signature of ``text``: over the URL notifications checks against
    (``PUBLIC_BASE_URL``), whatever address the form is posted to."""
    if not settings.sms_auth_token:
        raise NoSigningKey(
            "no SMS signing key: set SMS_AUTH_TOKEN, or COACHING_MODE=embedded for the local one"
        )
    url = settings.public_base_url + INBOUND_PATH
    signature = compute_signature(settings.sms_auth_token, url, list(text.form().items()))
    return {SIGNATURE_HEADER: signature}


def _post_over_http(url: str, form: dict[str, str], headers: dict[str, str]) -> int:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def send(settings: Settings, text: InboundText, post: Post = _post_over_http) -> int:
    """Post ``text`` to the local notifications API, signed; the HTTP status."""
    url = f"http://127.0.0.1:{settings.ports['notifications']}{INBOUND_PATH}"
    return post(url, text.form(), signed_headers(settings, text))


def run(settings: Settings, args: argparse.Namespace, post: Post = _post_over_http) -> int:
    """``coaching sms``: print the status and where an answer will appear; 0 on 2xx."""
    text = inbound_text(settings, args.sender, args.body, args.to_number)
    try:
        status = send(settings, text, post)
    except NoSigningKey as missing:
        print(f"coaching sms: {missing}")
        return 2
    except OSError as unreachable:
        print(
            f"coaching sms: notifications is not answering on port "
            f"{settings.ports['notifications']} ({unreachable}); is `make run` going?"
        )
        return 1
    print(f"texted {text.to_number}: HTTP {status}")
    if status == 403:
        print("refused: the signing key is not the one notifications runs with")
    if not settings.sms_api_url:
        print(
            f"any answer is written to {outbox_folder(settings.var_dir)} as <client id>.*.sms.txt"
        )
    return 0 if 200 <= status < 300 else 1
