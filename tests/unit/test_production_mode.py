"""Production never quietly becomes a laptop: outside ``COACHING_MODE=embedded`` a process
without its broker, databases or secrets stops at start with one line naming them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coaching.registry import REQUIRED_IN_PRODUCTION, load_settings
from shared.config import MissingConfiguration

REPO = Path(__file__).resolve().parents[2]
CONFIGURED = {
    "BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "INTAKE_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/intake",
    "PLANS_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/plans",
    "NOTIFICATIONS_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/notifications",
    "JWT_SECRET": "a-secret-of-the-operators-0123456789",
    "PLATFORM_ADMIN_TOKEN": "an-operators-token",
}


@pytest.fixture
def production(monkeypatch, tmp_path):
    """Nothing configured but a writable VAR_DIR, and no mode chosen: production."""
    monkeypatch.delenv("COACHING_MODE", raising=False)
    for name in REQUIRED_IN_PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))


def test_without_a_mode_every_missing_setting_is_named(production):
    with pytest.raises(MissingConfiguration) as refused:
        load_settings()
    assert refused.value.names == list(REQUIRED_IN_PRODUCTION)
    assert "\n" not in str(refused.value)


def test_production_mode_names_only_what_is_missing(production, monkeypatch):
    for name, value in CONFIGURED.items():
        if name not in ("PLANS_DATABASE_URL", "JWT_SECRET"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("JWT_SECRET", "")  # set but empty is missing too
    with pytest.raises(MissingConfiguration) as refused:
        load_settings()
    assert refused.value.names == ["PLANS_DATABASE_URL", "JWT_SECRET"]


def test_production_mode_with_everything_set_guesses_nothing(production, monkeypatch, tmp_path):
    for name, value in CONFIGURED.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.mode == "production"
    assert settings.broker_url == CONFIGURED["BROKER_URL"]
    assert settings.jwt_secret == CONFIGURED["JWT_SECRET"]
    assert not (tmp_path / "var" / "secrets").exists()


def test_the_embedded_defaults_are_chosen_by_name_only(production, monkeypatch, tmp_path):
    monkeypatch.setenv("COACHING_MODE", "embedded")
    settings = load_settings()
    assert settings.mode == "embedded"
    assert settings.embedded_broker
    assert settings.database_url("plans") == f"sqlite:///{tmp_path / 'var' / 'plans.db'}"
    monkeypatch.setenv("COACHING_MODE", "laptop")
    with pytest.raises(ValueError, match="COACHING_MODE"):
        load_settings()


@pytest.mark.parametrize(
    "command", [["worker", "intake"], ["api", "plans"], ["migrate"], ["await-schema", "plans"]]
)
def test_a_process_started_without_its_configuration_stops_with_one_line(command, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path / "var"), "JWT_SECRET": "set"}
    done = subprocess.run(
        [sys.executable, "-m", "coaching", *command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    [line] = done.stderr.splitlines()
    assert line.startswith(f"coaching {command[0]}: missing configuration: BROKER_URL, ")
    assert "JWT_SECRET" not in line and "PLATFORM_ADMIN_TOKEN" in line
    assert not (tmp_path / "var").exists()  # no SQLite file, no bus folder, no secret
