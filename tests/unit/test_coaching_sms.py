"""``coaching sms``: the form a provider would post for a client's text, signed as the
provider signs it, sent to the local notifications API."""

from __future__ import annotations

import argparse
from dataclasses import replace

import pytest

from coaching import sms
from coaching.registry import load_settings
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, signature_valid
from shared.config import LOCAL_SMS_NUMBER


@pytest.fixture
def settings(monkeypatch, tmp_path):
    for name in ("SMS_AUTH_TOKEN", "SMS_FROM", "SMS_API_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACHING_MODE", "embedded")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("NOTIFICATIONS_PORT", "18003")
    return load_settings()


def _args(body="I feel 7 today", sender="+61412345678", to_number=None):
    return argparse.Namespace(body=body, sender=sender, to_number=to_number)


class Provider:
    """Records what was posted and answers with ``status``."""

    def __init__(self, status: int = 200):
        self.status = status
        self.posted: list[tuple[str, dict, dict]] = []

    def __call__(self, url, form, headers):
        self.posted.append((url, form, headers))
        return self.status


def test_the_text_is_posted_to_the_local_api_signed_with_the_embedded_key(settings, capsys):
    provider = Provider()
    assert sms.run(settings, _args(), post=provider) == 0
    [(url, form, headers)] = provider.posted
    assert url == "http://127.0.0.1:18003/v1/webhooks/sms/inbound"
    assert form["From"] == "+61412345678" and form["Body"] == "I feel 7 today"
    assert form["To"] == LOCAL_SMS_NUMBER and form["MessageSid"].startswith("SM")
    assert signature_valid(
        settings.sms_auth_token,
        "http://127.0.0.1:18003/v1/webhooks/sms/inbound",
        list(form.items()),
        headers[SIGNATURE_HEADER],
    )
    printed = capsys.readouterr().out
    assert "HTTP 200" in printed
    assert str(settings.var_dir / "outbox") in printed


def test_the_signature_covers_the_public_url_notifications_checks(settings):
    public = replace(settings, public_base_url="https://notify.example.org")
    provider = Provider()
    sms.run(public, _args(), post=provider)
    [(url, form, headers)] = provider.posted
    assert url.startswith("http://127.0.0.1:18003/")
    assert signature_valid(
        settings.sms_auth_token,
        "https://notify.example.org/v1/webhooks/sms/inbound",
        list(form.items()),
        headers[SIGNATURE_HEADER],
    )


def test_the_number_texted_is_to_then_sms_from_then_the_local_number(settings):
    provider = Provider()
    sms.run(settings, _args(to_number="+61400111222"), post=provider)
    sms.run(replace(settings, sms_from="+61400999888"), _args(), post=provider)
    assert [form["To"] for _, form, _ in provider.posted] == ["+61400111222", "+61400999888"]


def test_each_text_has_a_message_id_of_its_own(settings):
    provider = Provider()
    sms.run(settings, _args(), post=provider)
    sms.run(settings, _args(), post=provider)
    sids = {form["MessageSid"] for _, form, _ in provider.posted}
    assert len(sids) == 2


def test_a_refusal_is_reported_and_fails_the_command(settings, capsys):
    assert sms.run(settings, _args(), post=Provider(403)) == 1
    printed = capsys.readouterr().out
    assert "HTTP 403" in printed and "signing key" in printed


def test_without_a_signing_key_nothing_is_posted(settings, capsys):
    provider = Provider()
    assert sms.run(replace(settings, sms_auth_token=None), _args(), post=provider) == 2
    assert provider.posted == []
    assert "SMS_AUTH_TOKEN" in capsys.readouterr().out


def test_a_platform_not_running_is_named(settings, capsys):
    def refused(url, form, headers):
        raise ConnectionRefusedError("Connection refused")

    assert sms.run(settings, _args(), post=refused) == 1
    assert "make run" in capsys.readouterr().out


def test_the_command_line_takes_from_to_and_the_text_on_the_embedded_default(monkeypatch, tmp_path):
    from coaching import cli

    monkeypatch.delenv("COACHING_MODE", raising=False)
    monkeypatch.delenv("SMS_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    seen = []

    def run(settings, args):
        seen.append((settings.mode, bool(settings.sms_auth_token), args))
        return 0

    monkeypatch.setattr(sms, "run", run)
    with pytest.raises(SystemExit) as ended:
        cli.main(["sms", "--from", "+61412345678", "--to", "+61400111222", "I feel 7 today"])
    assert ended.value.code == 0
    [(mode, signed, args)] = seen
    assert (mode, signed) == ("embedded", True)
    assert (args.sender, args.to_number, args.body) == (
        "+61412345678",
        "+61400111222",
        "I feel 7 today",
    )
