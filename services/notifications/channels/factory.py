"""Pick each channel's adapter from the settings."""

from __future__ import annotations

from services.notifications.channels.base import Channel
from services.notifications.channels.email import SmtpEmailChannel, SmtpSettings
from services.notifications.channels.file_outbox import FileOutboxChannel
from shared.config import Settings


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    outbox = settings.var_dir / "outbox"
    email: Channel = (
        SmtpEmailChannel(SmtpSettings.from_url(settings.smtp_url), settings.email_from)
        if settings.smtp_url
        else FileOutboxChannel("email", outbox, settings.email_from)
    )
    # The SMS HTTP adapter arrives with the notifications issue; until then SMS goes to
    # the local outbox whatever is configured.
    sms: Channel = FileOutboxChannel("sms", outbox, settings.email_from)
    return {"email": email, "sms": sms}
