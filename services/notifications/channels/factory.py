"""Pick each channel's adapter from the settings: the configured provider, a second one
to fail over to when it is configured too, or the local file outbox."""

from __future__ import annotations

from services.notifications.channels.base import Channel
from services.notifications.channels.email import SmtpEmailChannel, SmtpSettings
from services.notifications.channels.failover import FailoverChannel
from services.notifications.channels.file_outbox import FileOutboxChannel, outbox_folder
from services.notifications.channels.sms import HttpSmsChannel
from shared.config import Settings


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    outbox = outbox_folder(settings.var_dir)
    return {
        "email": _email(settings) or FileOutboxChannel("email", outbox, settings.email_from),
        "sms": _sms(settings) or FileOutboxChannel("sms", outbox, settings.email_from),
    }


def _email(settings: Settings) -> Channel | None:
    relays = [
        SmtpEmailChannel(SmtpSettings.from_url(url), settings.email_from)
        for url in (settings.smtp_url, settings.smtp_fallback_url)
        if url
    ]
    return _one_or_failover("email", relays)


def _sms(settings: Settings) -> Channel | None:
    callback = f"{settings.public_base_url}/v1/webhooks/sms/status"
    providers = [
        HttpSmsChannel(
            api_url,
            sid or "",
            token or "",
            sender or "",
            status_callback=callback,
            organisation_numbers=index == 0,
        )
        for index, (api_url, sid, token, sender) in enumerate(
            (
                (
                    settings.sms_api_url,
                    settings.sms_account_sid,
                    settings.sms_auth_token,
                    settings.sms_from,
                ),
                (
                    settings.sms_fallback_api_url,
                    settings.sms_fallback_account_sid,
                    settings.sms_fallback_auth_token,
                    settings.sms_fallback_from or settings.sms_from,
                ),
            )
        )
        if api_url
    ]
    return _one_or_failover("sms", providers)


def _one_or_failover(name: str, providers: list[Channel]) -> Channel | None:
    if not providers:
        return None
    return providers[0] if len(providers) == 1 else FailoverChannel(name, providers)
