"""Delivery channels behind one interface (``base``: a message out, and the two ways a
send can fail): SMTP email (``email``), an SMS HTTP API (``sms``), a file outbox for the
embedded default (``file_outbox``), a second provider taking over (``failover``), and the
channels the settings ask for (``factory``).

Entry point: ``channels_from_settings``.
"""

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
