"""SMS through an HTTP API in the style of the large providers.

A basic-auth (account SID, auth token) form POST of ``To``, ``From``, ``Body`` and
``StatusCallback`` to ``SMS_API_URL``; the provider answers 201 with its message ``sid``.
5xx, 429 and timeouts are worth retrying; other 4xx (an invalid number) are not. A 429's
``Retry-After`` (seconds or an HTTP date) is honoured.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import phonenumbers

from services.notifications.channels.base import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from shared.clock import system_clock

SMS_TIMEOUT_SECONDS = 10


def is_valid_number(number: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


class HttpSmsChannel:
    name = "sms"

    def __init__(
        self,
        api_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        status_callback: str,
        *,
        organisation_numbers: bool = True,
    ):
        self.api_url = api_url
        self.sender = sender
        # Whether this account sends from the organisations' own numbers (the main
        # provider's); a second provider sends from its own.
        self.organisation_numbers = organisation_numbers
        self.status_callback = status_callback
        credentials = f"{account_sid}:{auth_token}".encode()
        self._authorization = "Basic " + base64.b64encode(credentials).decode()

    def send(self, message: OutgoingMessage) -> str:
        if not is_valid_number(message.to):
            raise PermanentDeliveryError("invalid number", bounce=True)
        form = urllib.parse.urlencode(
            {
                "To": message.to,
                "From": (self.organisation_numbers and message.sender_number) or self.sender,
                "Body": message.text,
                "StatusCallback": self.status_callback,
            }
        ).encode()
        request = urllib.request.Request(
            self.api_url,
            data=form,
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=SMS_TIMEOUT_SECONDS) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise _classify(exc.code, exc.read(), exc.headers.get("Retry-After")) from exc
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            raise TransientDeliveryError(f"SMS API unavailable: {type(exc).__name__}") from exc
        try:
            return str(json.loads(body)["sid"])
        except (ValueError, KeyError, TypeError) as exc:
            raise TransientDeliveryError("SMS API answered without a message id") from exc


MAX_RETRY_AFTER_SECONDS = 3600  # a provider's wish, bounded: a nudge is not parked for days


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        # The provider's date is by the wall clock, whatever clock the service runs on.
        seconds = (when - (now or system_clock())).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _classify(status: int, body: bytes, retry_after: str | None = None) -> Exception:
    try:
        detail = json.loads(body)
        code, text = detail.get("code"), detail.get("message")
    except (ValueError, AttributeError):
        code, text = None, None
    summary = f"SMS API {status}" + (f" (code {code})" if code else "")
    if status == 429:
        return TransientDeliveryError(
            summary, throttled=True, retry_after=retry_after_seconds(retry_after)
        )
    if status >= 500:
        return TransientDeliveryError(summary)
    # Invalid or unreachable numbers: do not keep texting them.
    bounce = code in (21211, 21614, 21610) or "invalid" in str(text).lower()
    return PermanentDeliveryError(summary + (": invalid number" if bounce else ""), bounce=bounce)
