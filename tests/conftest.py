"""Fixtures: real infrastructure per test (its own vhost and databases), an SMTP server,
settings from the environment, and the system in-process or as real processes."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from coaching.registry import SERVICES, load_settings
from tests.support import infra as infra_mod
from tests.support.api import InProcessTransport, PlatformApi
from tests.support.smtp import SmtpSink
from tests.support.system import InProcessSystem

PLATFORM_TOKEN = "platform-token-for-tests"
JWT_SECRET = "jwt-secret-for-tests-0123456789abcdef"


def _backend() -> str:
    real = infra_mod.rabbitmq_available() and infra_mod.postgres_available()
    if real:
        return "rabbitmq+postgresql"
    if infra_mod.real_infra_required():
        raise pytest.UsageError(
            "REQUIRE_REAL_INFRA=1 but RabbitMQ (127.0.0.1:5672, rabbitmqctl) or PostgreSQL "
            "(127.0.0.1:5432) is not reachable"
        )
    return "embedded (filesystem transport + SQLite)"


BACKEND = _backend()


def pytest_report_header(config):
    return f"coaching backend: {BACKEND}"


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"coaching backend used: {BACKEND}")


@dataclass
class Infra:
    broker_url: str
    database_urls: dict[str, str]

    @property
    def real(self) -> bool:
        return self.broker_url.startswith("amqp")


@pytest.fixture(scope="session")
def vhosts():
    """Fresh vhosts, made and deleted in batches (see ``tests/support/infra.py``)."""
    pool = infra_mod.VhostPool()
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def databases():
    """Each test's own databases, at the head revision and empty (``tests/support/infra.py``)."""
    pool = infra_mod.DatabasePool()
    yield pool
    pool.close()


@pytest.fixture
def infra(request, tmp_path):
    if BACKEND.startswith("rabbitmq"):
        vhosts, pool = request.getfixturevalue("vhosts"), request.getfixturevalue("databases")
        vhost, broker_url = vhosts.take()
        databases = pool.create(SERVICES)
        try:
            yield Infra(broker_url, databases)
        finally:
            pool.release(databases)
            vhosts.release(vhost)
    else:
        yield Infra(
            "filesystem://localhost/",
            {name: f"sqlite:///{tmp_path / (name + '.db')}" for name in SERVICES},
        )


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def env(infra, tmp_path, smtp, monkeypatch) -> dict[str, str]:
    """The environment of every process of the system under test."""
    values = {
        "VAR_DIR": str(tmp_path / "var"),
        "BROKER_URL": infra.broker_url,
        "JWT_SECRET": JWT_SECRET,
        "PLATFORM_ADMIN_TOKEN": PLATFORM_TOKEN,
        "SMTP_URL": smtp.url,
        "EMAIL_FROM": "coach@harbour.example",
        "RETRY_BASE_SECONDS": "0",
        "POLL_INTERVAL_SECONDS": "0.05",
        "MAX_DELIVERY_ATTEMPTS": "3",
        "LOG_LEVEL": "INFO",
    }
    for name, url in infra.database_urls.items():
        values[f"{name.upper()}_DATABASE_URL"] = url
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def settings(env):
    return load_settings()


@pytest.fixture
def embedded(monkeypatch) -> None:
    """Settings from a bare environment: the embedded defaults, chosen as ``make run``
    chooses them (production mode, the default, refuses to guess)."""
    monkeypatch.setenv("COACHING_MODE", "embedded")


@pytest.fixture
def system(settings):
    running = InProcessSystem.start(settings)
    yield running
    running.close()


@pytest.fixture
def api(system) -> PlatformApi:
    return PlatformApi(InProcessTransport(system.apps), PLATFORM_TOKEN)


@pytest.fixture
def tenant(api):
    """An organisation, its admin's token and the admin's staff id (also a coach here)."""
    organisation, token = api.new_tenant()
    return {"organisation": organisation, "token": token, "staff_id": organisation["admin"]["id"]}


@contextmanager
def _alone(request, tmp_path, monkeypatch, service: str, **extra: str):
    """The environment of one service run on its own: its one fresh database (PostgreSQL
    from the pool when the real backend runs, else a SQLite file), no broker, the
    embedded defaults for what it does not use; ``extra`` adds variables."""
    if BACKEND.startswith("rabbitmq"):
        pool = request.getfixturevalue("databases")
        databases = pool.create((service,))
    else:
        databases = {service: f"sqlite:///{tmp_path / (service + '.db')}"}
    values = {
        "COACHING_MODE": "embedded",  # the other services' settings are not needed
        "VAR_DIR": str(tmp_path / "var"),
        "BROKER_URL": "filesystem://localhost/",
        "JWT_SECRET": JWT_SECRET,
        "PLATFORM_ADMIN_TOKEN": PLATFORM_TOKEN,
        f"{service.upper()}_DATABASE_URL": databases[service],
    } | extra
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    try:
        yield values
    finally:
        if BACKEND.startswith("rabbitmq"):
            pool.release(databases)


@pytest.fixture
def notifications_env(request, tmp_path, smtp, monkeypatch) -> dict[str, str]:
    """Notifications alone: one fresh database, the SMTP sink, no broker needed (the
    embedded defaults for what it does not use)."""
    with _alone(
        request,
        tmp_path,
        monkeypatch,
        "notifications",
        SMTP_URL=smtp.url,
        EMAIL_FROM="coach@harbour.example",
        RETRY_BASE_SECONDS="0",
        SMS_ACCOUNT_SID="AC0123456789",
        SMS_AUTH_TOKEN="sms-auth-token-for-tests",
        SMS_FROM="+61400000000",
        PUBLIC_BASE_URL="https://notify.harbour.example",
    ) as values:
        yield values


@pytest.fixture
def plans_runtime(request, tmp_path, monkeypatch):
    """Plans alone: its runtime on one fresh database, at the head revision, no broker;
    the clock is the caller's to set (``runtime.clock``)."""
    from services.plans.bootstrap import build_runtime

    with _alone(request, tmp_path, monkeypatch, "plans"):
        runtime = build_runtime(load_settings())
        runtime.migrate()
        try:
            yield runtime
        finally:
            runtime.engine.dispose()


@pytest.fixture
def intake(request, tmp_path, monkeypatch):
    """Intake alone (``tests/support/intake.py``): one fresh database, no broker."""
    from tests.support.intake import IntakeHarness

    with _alone(request, tmp_path, monkeypatch, "intake"):
        harness = IntakeHarness(load_settings())
        try:
            yield harness
        finally:
            harness.close()


@pytest.fixture
def plans(request, tmp_path, monkeypatch):
    """Plans alone (``PlansHarness`` in ``tests/support/plans.py``): one fresh database,
    no broker, its clock frozen (``plans.clock``), its scheduler ticked by hand."""
    from tests.support.plans import PlansHarness

    with _alone(request, tmp_path, monkeypatch, "plans"):
        harness = PlansHarness(load_settings())
        try:
            yield harness
        finally:
            harness.close()


@pytest.fixture
def notifications(notifications_env):
    from tests.support.notifications import NotificationsHarness

    harness = NotificationsHarness(load_settings())
    yield harness
    harness.close()


@pytest.fixture
def notifications_with_sms(notifications_env, httpserver, monkeypatch):
    """As ``notifications``, with pytest-httpserver as the SMS provider's API."""
    from tests.support.notifications import NotificationsHarness

    monkeypatch.setenv(
        "SMS_API_URL", httpserver.url_for("/2010-04-01/Accounts/AC0123456789/Messages.json")
    )
    harness = NotificationsHarness(load_settings())
    yield harness
    harness.close()
