"""A newcomer's first day on the embedded default: tokens last a working session (within
a bound), and inbound texts can be signed with a local key production never invents."""

from __future__ import annotations

import pytest

from coaching.registry import load_settings
from shared.config import DEFAULT_TOKEN_TTL_SECONDS


@pytest.fixture
def embedded(monkeypatch, tmp_path):
    for name in ("TOKEN_TTL_SECONDS", "SMS_AUTH_TOKEN", "JWT_SECRET", "PLATFORM_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACHING_MODE", "embedded")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_an_access_token_lasts_a_working_session_by_default(embedded):
    assert load_settings().token_ttl_seconds == DEFAULT_TOKEN_TTL_SECONDS == 8 * 3600


@pytest.mark.parametrize("seconds", ["59", "86401", "0", "-1"])
def test_a_token_lifetime_outside_a_minute_to_a_day_is_refused(embedded, monkeypatch, seconds):
    monkeypatch.setenv("TOKEN_TTL_SECONDS", seconds)
    with pytest.raises(ValueError, match="TOKEN_TTL_SECONDS"):
        load_settings()


@pytest.mark.parametrize("seconds", [60, 900, 86400])
def test_a_token_lifetime_within_the_bound_is_taken(embedded, monkeypatch, seconds):
    monkeypatch.setenv("TOKEN_TTL_SECONDS", str(seconds))
    assert load_settings().token_ttl_seconds == seconds


def test_the_embedded_default_keeps_a_local_sms_signing_key_across_restarts(embedded):
    key = load_settings().sms_auth_token
    assert key and len(key) >= 32
    assert (embedded / "secrets" / "sms_auth_token").read_text() == key
    assert load_settings().sms_auth_token == key


def test_a_configured_sms_auth_token_wins_and_no_local_key_is_made(embedded, monkeypatch):
    monkeypatch.setenv("SMS_AUTH_TOKEN", "the-providers-token")
    assert load_settings().sms_auth_token == "the-providers-token"
    assert not (embedded / "secrets" / "sms_auth_token").exists()


def test_production_never_invents_an_sms_signing_key(embedded, monkeypatch):
    monkeypatch.setenv("COACHING_MODE", "production")
    for name in ("BROKER_URL", "JWT_SECRET", "PLATFORM_ADMIN_TOKEN"):
        monkeypatch.setenv(name, "configured")
    for service in ("INTAKE", "PLANS", "NOTIFICATIONS"):
        monkeypatch.setenv(f"{service}_DATABASE_URL", "sqlite:///configured.db")
    assert load_settings().sms_auth_token is None
    assert not (embedded / "secrets" / "sms_auth_token").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISPATCHER_CONNECTIONS", "99"),
        ("DISPATCHER_CONNECTIONS", "0"),
        ("IDEMPOTENCY_KEY_TTL_HOURS", "0"),
        ("OUTBOX_RETENTION_DAYS", "-1"),
        ("INBOX_RETENTION_DAYS", "0.5"),
        ("HOUSEKEEPING_INTERVAL_SECONDS", "0"),
        ("METRICS_PORT", "70000"),
        ("EMAIL_RATE_PER_SECOND", "0"),
        ("SMS_RATE_PER_SECOND", "-3"),
    ],
)
def test_a_setting_outside_its_documented_bounds_stops_the_process(
    embedded, monkeypatch, name, value
):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        load_settings()
