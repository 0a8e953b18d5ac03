"""One service's wiring: settings, database, unit of work, messaging and its API.

Each service's ``bootstrap.py`` builds a :class:`ServiceRuntime` with its own tables,
event handlers and blueprints; every process type (api, worker, relay, dispatcher) of
that service starts from it. Nothing here touches the database or the broker until a
process asks for it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from flask import Flask, current_app
from flask_smorest import Blueprint
from sqlalchemy import Connection, Engine, MetaData, text
from sqlalchemy.exc import DBAPIError

from shared.auth import StaffStanding, StandingCache
from shared.clock import Clock, system_clock
from shared.config import Settings, load_settings
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.db.commit_wakeup import commit_wakeup
from shared.db.housekeeping import Housekeeper, Purge, Retention
from shared.db.migrate import upgrade
from shared.messaging.consumer import EventWorker
from shared.messaging.inbox import Handler, InboxProcessor
from shared.messaging.relay import OutboxRelay
from shared.web import create_service_app
from shared.web.idempotency import EXTENSION as IDEMPOTENCY
from shared.web.idempotency import IdempotencyStore

T = TypeVar("T")

# Reads one staff member's standing (tenant id, staff id) on a connection of the service.
StandingQuery = Callable[[Connection, uuid.UUID, uuid.UUID], StaffStanding | None]


@dataclass
class ServiceRuntime:
    name: str
    settings: Settings
    metadata: MetaData
    outbox_model: type
    inbox_model: type
    migrations_dir: Path
    idempotency_model: type | None = None
    handlers: dict[str, Handler] = field(default_factory=dict)
    blueprints: Callable[[], Iterable[Blueprint]] = tuple
    description: str = ""
    clock: Clock = system_clock
    # Check each pooled connection before use, so a database restart costs no request an
    # error. Loops that retry a failed round anyway (the dispatcher) may turn it off.
    ping_connections: bool = True
    # How the API checks a token's member on each request (see ``shared.auth``); a
    # service without one takes every valid token at its word.
    staff_standing: StandingQuery | None = None
    # The service's own growing tables housekeeping trims (``shared.db.housekeeping``).
    purges: Callable[[Settings], Iterable[Purge]] = lambda _settings: ()

    @classmethod
    def of_service(
        cls, name: str, settings: Settings | None, models: ModuleType, **wiring
    ) -> ServiceRuntime:
        """A service's runtime from its ``models`` module, which by convention defines
        ``Base``, ``Outbox``, ``ProcessedEvent`` and ``IdempotencyKey``, with Alembic's
        ``migrations/`` beside it; ``wiring`` names its handlers, routes and the rest."""
        return cls(
            name=name,
            settings=settings or load_settings(),
            metadata=models.Base.metadata,
            outbox_model=models.Outbox,
            inbox_model=models.ProcessedEvent,
            idempotency_model=models.IdempotencyKey,
            migrations_dir=Path(models.__file__).parent / "migrations",
            **wiring,
        )

    def now(self):
        """The time on :attr:`clock`, the service's one clock (ARCHITECTURE.md §5.9):
        what its engines stamp rows with, its units of work, relay and inbox read. Read
        at each call, so a test that swaps the clock after building the runtime is heard."""
        return self.clock()

    # -- database -----------------------------------------------------------------------
    @functools.cached_property
    def engine(self):
        return make_engine(
            self.settings.database_url(self.name),
            clock=self.now,
            pool_pre_ping=self.ping_connections,
        )

    @functools.cached_property
    def autocommit_engine(self) -> Engine:
        """The engine of statements that are each their own transaction: the API's hot
        reads (:meth:`read`), a dispatcher's recording of its outcomes. On PostgreSQL
        there are no BEGIN and ROLLBACK round trips, the connections are in autocommit
        from the start (switching a pooled connection in and out of it costs more CPU
        than a small statement) and a pooled connection is not pinged first: the
        callers repeat a failed statement themselves. SQLite shares the one engine."""
        url = self.settings.database_url(self.name)
        if url.startswith("sqlite"):
            return self.engine
        return make_engine(url, clock=self.now, pool_pre_ping=False, isolation_level="AUTOCOMMIT")

    def read(self, query: Callable[[Connection], T]) -> T:
        """Run ``query`` on a connection of :attr:`autocommit_engine`. A read that meets a
        connection the database dropped (a restart, a failover) runs once more on a
        fresh one: a read is safe to repeat, and no caller sees the restart."""
        try:
            with self.autocommit_engine.connect() as connection:
                return query(connection)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        # SQLAlchemy has now discarded every connection the pool held before the error.
        with self.autocommit_engine.connect() as connection:
            return query(connection)

    @functools.cached_property
    def session_factory(self):
        return make_session_factory(self.engine)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory,
            self.outbox_model,
            producer=self.name,
            exchange=self.settings.exchange_name,
            clock=self.now,
        )

    def migrate(self) -> tuple[str | None, str | None]:
        """Upgrade this service's database; return its revisions before and after."""
        return upgrade(self.migrations_dir, self.settings.database_url(self.name))

    # -- messaging ----------------------------------------------------------------------
    def inbox_processor(self) -> InboxProcessor:
        return InboxProcessor(
            self.settings,
            self.name,
            self.handlers,
            self.unit_of_work,
            self.inbox_model,
            self.outbox_model,
            clock=self.now,
        )

    def worker(self) -> EventWorker:
        return EventWorker(self.settings, self.inbox_processor())

    def relay(self) -> OutboxRelay:
        return OutboxRelay(
            self.settings,
            self.session_factory,
            self.outbox_model,
            clock=self.now,
            housekeeper=self.housekeeper(),
            service=self.name,
            idle_wait=commit_wakeup(self.engine, "outbox"),
        )

    def housekeeper(self) -> Housekeeper:
        return Housekeeper(
            self.session_factory,
            Retention.from_settings(self.settings),
            outbox_model=self.outbox_model,
            inbox_model=self.inbox_model,
            idempotency_model=self.idempotency_model,
            clock=self.now,
            purges=tuple(self.purges(self.settings)),
        )

    # -- http ---------------------------------------------------------------------------
    def create_app(self) -> Flask:
        # Ready means able to serve: the database. Not the broker: a write's events wait
        # in the outbox through a broker outage, and the relays and workers, not the
        # APIs, report it (their metrics and liveness).
        app = create_service_app(
            self.name,
            self.settings,
            self.blueprints(),
            {"database": self._check_database},
            description=self.description,
        )
        app.extensions["runtime"] = self
        app.extensions[IDEMPOTENCY] = IdempotencyStore(
            lambda: self.session_factory(), self.idempotency_model, self.now
        )
        if self.staff_standing is not None:
            app.extensions["staff_standing"] = StandingCache(self._standing_of)
        return app

    def _standing_of(self, tenant_id: uuid.UUID, staff_id: uuid.UUID) -> StaffStanding | None:
        return self.read(lambda connection: self.staff_standing(connection, tenant_id, staff_id))

    def _check_database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def current_runtime() -> ServiceRuntime:
    """The runtime of the service whose request is being handled."""
    return current_app.extensions["runtime"]
