"""Delivery channels behind one interface: SMTP email, an SMS HTTP API, a file outbox."""

from services.notifications.channels.base import (
    Channel,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notifications.channels.factory import channels_from_settings

__all__ = [
    "Channel",
    "OutgoingMessage",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "channels_from_settings",
]
