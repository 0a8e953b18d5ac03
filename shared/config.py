"""Settings read once from the environment (the variables are listed
in docs/ARCHITECTURE.md §7 and, with their defaults, in deploy/README.md).

Every process calls :func:`load_settings` at start and passes the result down; nothing
reads ``os.environ`` elsewhere.

A process runs in production mode unless ``COACHING_MODE=embedded`` says otherwise
(``coaching run``, hence ``make run``, sets it). In production mode the broker, the three
databases and both secrets must be given: a missing one stops the process at start
(:class:`MissingConfiguration`) instead of quietly running a laptop's setup. In embedded
mode an unset variable falls back to the embedded default: SQLite files and Kombu's
``filesystem://`` transport under ``VAR_DIR`` (``./var``), secrets kept in
``VAR_DIR/secrets`` (among them a local SMS webhook signing key, so ``coaching sms`` can
sign a reply as a provider would; production never gets one it was not given).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from environs import Env
from marshmallow.validate import Range

PRODUCTION, EMBEDDED = "production", "embedded"
DATABASE_URL_SUFFIX = "_DATABASE_URL"


def database_variable(service: str) -> str:
    """The variable that names a service's database: ``<SERVICE>_DATABASE_URL``."""
    return f"{service.upper()}{DATABASE_URL_SUFFIX}"


def port_variable(service: str) -> str:
    """The variable that names the port a service's API listens on: ``<SERVICE>_PORT``."""
    return f"{service.upper()}_PORT"


def required_in_production(services: Iterable[str]) -> tuple[str, ...]:
    """What production mode will not guess, for a system of ``services``."""
    return (
        "BROKER_URL",
        *(database_variable(name) for name in services),
        "JWT_SECRET",
        "PLATFORM_ADMIN_TOKEN",
    )


@dataclass(frozen=True)
class ServiceConfig:
    """What the composition root (``coaching/registry.py``) says of one service: this
    module names none of them."""

    name: str
    # The API's port when ``<SERVICE>_PORT`` is unset.
    port: int
    # The event types its handler table handles: its queue is bound to these.
    subscriptions: tuple[str, ...] = ()
    # ``PUBLIC_BASE_URL`` defaults to this service's address (the pages clients open).
    serves_public_pages: bool = False


# An access token lasts a working session by default (a coach's calls mid-task must not
# start failing), never more than a day: a stolen token stays useful only so long.
DEFAULT_TOKEN_TTL_SECONDS = 8 * 3600
TOKEN_TTL_BOUNDS = (60, 24 * 3600)
# The number texts are sent to when SMS_FROM is unset (embedded mode; `coaching sms`).
LOCAL_SMS_NUMBER = "+61400000000"


class MissingConfiguration(ValueError):
    """Production mode without a setting it needs; the message is one line naming them."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(
            f"missing configuration: {', '.join(names)} must be set "
            f"(or COACHING_MODE={EMBEDDED} for the laptop defaults)"
        )


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    broker_url: str
    # By service name: every ``<SERVICE>_DATABASE_URL`` set, and the embedded defaults
    # of the services the settings were loaded for.
    database_urls: dict[str, str]
    jwt_secret: str
    platform_admin_token: str
    smtp_url: str | None
    email_from: str
    sms_api_url: str | None
    sms_account_sid: str | None
    sms_auth_token: str | None
    sms_from: str | None
    public_base_url: str
    # By service name, for the services the settings were loaded for.
    ports: dict[str, int]
    queue_type: str
    exchange_name: str
    token_ttl_seconds: int
    max_delivery_attempts: int
    retry_base_seconds: float
    relay_batch_size: int
    poll_interval_seconds: float
    dispatcher_connections: int
    log_level: str
    idempotency_key_ttl_hours: float = 24
    outbox_retention_days: float = 7
    inbox_retention_days: float = 30
    housekeeping_interval_seconds: float = 3600
    # Finished nudges (sent, failed, held back) and inbound SMS ids; see housekeeping.
    nudge_retention_days: float = 90
    # A second SMTP relay and a second SMS provider, used when the first fails.
    smtp_fallback_url: str | None = None
    sms_fallback_api_url: str | None = None
    sms_fallback_account_sid: str | None = None
    sms_fallback_auth_token: str | None = None
    sms_fallback_from: str | None = None
    # Where a worker, relay, dispatcher or scheduler serves /metrics (unset: nowhere).
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # Providers' send rates, messages per second, shared by every dispatcher (unset: none).
    email_rate_per_second: float | None = None
    sms_rate_per_second: float | None = None
    transport_options: dict = field(default_factory=dict)
    # ``embedded`` (defaults for what is unset) or ``production`` (nothing guessed).
    mode: str = PRODUCTION
    # The services of the system, in order, and each one's queue bindings (the event
    # types its handler table handles), as the composition root gave them.
    services: tuple[str, ...] = ()
    subscriptions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    def database_url(self, service: str) -> str:
        """``<SERVICE>_DATABASE_URL``; unset, the embedded SQLite file (embedded mode)."""
        url = self.database_urls.get(service)
        if url:
            return url
        if self.mode == EMBEDDED:
            return _embedded_database(self.var_dir, service)
        raise MissingConfiguration([database_variable(service)])

    def subscribers_of(self, event_type: str) -> tuple[str, ...]:
        """The services whose queue is bound to ``event_type``."""
        return tuple(name for name, keys in self.subscriptions.items() if event_type in keys)


def _embedded_database(var_dir: Path, service: str) -> str:
    return f"sqlite:///{var_dir / (service + '.db')}"


def _persistent_secret(path: Path) -> str:
    """A development secret kept under var/ so restarts keep tokens valid."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


def load_settings(services: Iterable[ServiceConfig] = ()) -> Settings:
    """Parse the configuration from the environment, once per process, for a system of
    ``services`` (the composition root's; a service's own process may name none: it
    reads only its own database's variable, and its API the ``PUBLIC_BASE_URL`` the
    ``api`` process hands it)."""
    return _parse(Env(eager=True), tuple(services))


def _parse(env: Env, services: tuple[ServiceConfig, ...]) -> Settings:
    mode = env.str("COACHING_MODE", PRODUCTION)
    if mode not in (PRODUCTION, EMBEDDED):
        raise ValueError(f"COACHING_MODE must be {PRODUCTION!r} or {EMBEDDED!r}, not {mode!r}")
    if mode == PRODUCTION:
        required = required_in_production(service.name for service in services)
        missing = [name for name in required if not env.str(name, "")]
        if missing:
            raise MissingConfiguration(missing)
    var_dir = env.path("VAR_DIR", Path("var")).resolve()
    bus_dir = var_dir / "bus"
    database_urls = {
        name.removesuffix(DATABASE_URL_SUFFIX).lower(): url
        for name, url in os.environ.items()
        if name.endswith(DATABASE_URL_SUFFIX) and url
    }
    for service in services:
        url = env.str(database_variable(service.name), "")
        database_urls[service.name] = url or _embedded_database(var_dir, service.name)
    broker_url = env.str("BROKER_URL", "filesystem://localhost/")
    transport_options: dict = {}
    if broker_url.startswith("filesystem://"):
        for folder in ("queues", "processed", "control"):
            (bus_dir / folder).mkdir(parents=True, exist_ok=True)
        transport_options = {
            "data_folder_in": str(bus_dir / "queues"),
            "data_folder_out": str(bus_dir / "queues"),
            "processed_folder": str(bus_dir / "processed"),
            "store_processed": False,
            "control_folder": str(bus_dir / "control"),
        }
    jwt_secret = env.str("JWT_SECRET", None) or _persistent_secret(var_dir / "secrets" / "jwt")
    platform_token = env.str("PLATFORM_ADMIN_TOKEN", None) or _persistent_secret(
        var_dir / "secrets" / "platform_admin_token"
    )
    sms_auth_token = env.str("SMS_AUTH_TOKEN", None) or None
    if sms_auth_token is None and mode == EMBEDDED:
        sms_auth_token = _persistent_secret(var_dir / "secrets" / "sms_auth_token")
    ports = {
        service.name: env.int(port_variable(service.name), service.port) for service in services
    }
    # Unsubscribe links and webhook signatures name the port the public pages really run on.
    default_public_url = "http://127.0.0.1"
    for service in services:
        if service.serves_public_pages:
            default_public_url = f"http://127.0.0.1:{ports[service.name]}"
    queue_type = env.str("QUEUE_TYPE", "classic")
    if queue_type not in ("classic", "quorum"):
        raise ValueError(f"QUEUE_TYPE must be 'classic' or 'quorum', not {queue_type!r}")
    return Settings(
        var_dir=var_dir,
        broker_url=broker_url,
        database_urls=database_urls,
        jwt_secret=jwt_secret,
        platform_admin_token=platform_token,
        smtp_url=env.str("SMTP_URL", None) or None,
        email_from=env.str("EMAIL_FROM", "coach@localhost"),
        sms_api_url=env.str("SMS_API_URL", None) or None,
        sms_account_sid=env.str("SMS_ACCOUNT_SID", None) or None,
        sms_auth_token=sms_auth_token,
        sms_from=env.str("SMS_FROM", None) or None,
        public_base_url=env.str("PUBLIC_BASE_URL", default_public_url).rstrip("/"),
        ports=ports,
        queue_type=queue_type,
        exchange_name=env.str("EXCHANGE_NAME", "coaching.events"),
        token_ttl_seconds=env.int(
            "TOKEN_TTL_SECONDS",
            DEFAULT_TOKEN_TTL_SECONDS,
            # A validator that returns False passes under marshmallow 4: Range raises
            # (every bound below is a Range for that reason).
            validate=Range(*TOKEN_TTL_BOUNDS),
        ),
        max_delivery_attempts=env.int("MAX_DELIVERY_ATTEMPTS", 5),
        retry_base_seconds=env.float("RETRY_BASE_SECONDS", 2.0),
        relay_batch_size=env.int("RELAY_BATCH_SIZE", 100),
        poll_interval_seconds=env.float("POLL_INTERVAL_SECONDS", 0.2),
        dispatcher_connections=env.int("DISPATCHER_CONNECTIONS", 2, validate=Range(1, 32)),
        log_level=env.str("LOG_LEVEL", "INFO"),
        idempotency_key_ttl_hours=env.float(
            "IDEMPOTENCY_KEY_TTL_HOURS", 24, validate=Range(min=0, min_inclusive=False)
        ),
        outbox_retention_days=env.float(
            "OUTBOX_RETENTION_DAYS", 7, validate=Range(min=0, min_inclusive=False)
        ),
        # Longer than any copy of an event can arrive late: the inbox forgets ids after it.
        inbox_retention_days=env.float("INBOX_RETENTION_DAYS", 30, validate=Range(min=1)),
        housekeeping_interval_seconds=env.float(
            "HOUSEKEEPING_INTERVAL_SECONDS", 3600, validate=Range(min=0, min_inclusive=False)
        ),
        nudge_retention_days=env.float("NUDGE_RETENTION_DAYS", 90, validate=Range(min=1)),
        smtp_fallback_url=env.str("SMTP_FALLBACK_URL", None) or None,
        sms_fallback_api_url=env.str("SMS_FALLBACK_API_URL", None) or None,
        sms_fallback_account_sid=env.str("SMS_FALLBACK_ACCOUNT_SID", None) or None,
        sms_fallback_auth_token=env.str("SMS_FALLBACK_AUTH_TOKEN", None) or None,
        sms_fallback_from=env.str("SMS_FALLBACK_FROM", None) or None,
        metrics_port=env.int("METRICS_PORT", None, validate=Range(1, 65535)),
        metrics_host=env.str("METRICS_HOST", "127.0.0.1"),
        email_rate_per_second=env.float(
            "EMAIL_RATE_PER_SECOND", None, validate=Range(min=0, min_inclusive=False)
        ),
        sms_rate_per_second=env.float(
            "SMS_RATE_PER_SECOND", None, validate=Range(min=0, min_inclusive=False)
        ),
        transport_options=transport_options,
        mode=mode,
        services=tuple(service.name for service in services),
        subscriptions={service.name: tuple(service.subscriptions) for service in services},
    )
