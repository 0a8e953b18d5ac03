"""The channel interface and its two kinds of failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class TransientDeliveryError(Exception):
    """Worth retrying later: a timeout, SMTP 4xx, HTTP 5xx.

    ``throttled``: the provider asked us to slow down (HTTP 429, SMTP 421/452), which says
    nothing against the message: it is retried however often it happens. ``retry_after``:
    the seconds the provider asked us to wait, if it said.
    """

    def __init__(self, reason: str, *, throttled: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.throttled = throttled
        self.retry_after = retry_after


class PermanentDeliveryError(Exception):
    """Retrying cannot help: SMTP 5xx, an invalid number. ``bounce`` marks a hard bounce."""

    def __init__(self, reason: str, *, bounce: bool = False):
        super().__init__(reason)
        self.bounce = bounce


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str
    to: str
    subject: str | None
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Shown as the sender (the organisation's name) with the configured address.
    sender_name: str | None = None
    # The client the message is about (a coach's alert too), so erasure can find it.
    client_id: str | None = None
    # An SMS from the organisation's own number (``reply_routing``); None: ``SMS_FROM``.
    sender_number: str | None = None


class Channel(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> str:
        """Deliver ``message``; return the provider's message id."""
        ...
