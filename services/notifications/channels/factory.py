"""Pick each channel's adapter from the settings."""

from __future__ import annotations

from services.notifications.channels.base import Channel
from services.notifications.channels.email import SmtpEmailChannel, SmtpSettings
from services.notifications.channels.file_outbox import FileOutboxChannel, outbox_folder
from services.notifications.channels.sms import HttpSmsChannel
from shared.config import Settings


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    outbox = outbox_folder(settings.var_dir)
    email: Channel = (
        SmtpEmailChannel(SmtpSettings.from_url(settings.smtp_url), settings.email_from)
        if settings.smtp_url
        else FileOutboxChannel("email", outbox, settings.email_from)
    )
    sms: Channel = (
        HttpSmsChannel(
            settings.sms_api_url,
            settings.sms_account_sid or "",
            settings.sms_auth_token or "",
            settings.sms_from or "",
            status_callback=f"{settings.public_base_url}/v1/webhooks/sms/status",
        )
        if settings.sms_api_url
        else FileOutboxChannel("sms", outbox, settings.email_from)
    )
    return {"email": email, "sms": sms}
