"""One service on its own, stepped by hand: the shape every single-service harness shares.

A harness builds the service's runtime from settings (``build_runtime``), migrates its one
database, puts a :class:`FrozenClock` in as ``runtime.clock``, hands events straight to
its inbox processor, calls its API through the Flask test client and reads the events it
wrote to its outbox. No broker, no other service, no process: cheaper than the whole
system (``tests/support/system.py``) wherever a test is about one service's own
behaviour. What only one service has stays in its subclass (``IntakeHarness``,
``PlansHarness``, ``NotificationsHarness``).

``runtimes``, ``apps`` and ``processors`` look like :class:`InProcessSystem`'s, holding
the one service, so helpers written for the system (``tests/support/outbox.py``,
``database.py``, ``api.PlatformApi`` over ``InProcessTransport(harness.apps)``) take a
harness too.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import select

from coaching.registry import producers
from shared.auth import Principal, issue_token
from shared.clock import FrozenClock
from shared.config import Settings
from shared.events import new_envelope
from shared.messaging.inbox import Disposition
from shared.runtime import ServiceRuntime

# Where a harness's clock starts unless a test says otherwise: 12:00 in Sydney (AEST).
START = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
# A token's expiry is judged on the service's clock: a harness's tokens are issued on it
# and last for all the frozen time a test moves through.
TOKEN_TTL_SECONDS = 366 * 24 * 3600


class ServiceHarness:
    service: ClassVar[str]
    # Whether an event from another service happened on this harness's clock, or on the
    # wall clock its producer runs on in the whole system (``tests/support/system.py``).
    events_on_own_clock: ClassVar[bool] = True

    def __init__(self, settings: Settings, now: datetime | None = None):
        self.settings = settings
        self.runtime = self.build_runtime(settings)
        self.runtime.migrate()
        self.clock = self.make_clock(now)
        self.runtime.clock = self.clock
        self.processor = self.runtime.inbox_processor()
        self.app = self.runtime.create_app()
        self.http = self.app.test_client()

    @staticmethod
    def build_runtime(settings: Settings) -> ServiceRuntime:
        raise NotImplementedError

    def make_clock(self, now: datetime | None):
        return FrozenClock(now or START)

    def close(self) -> None:
        self.runtime.engine.dispose()

    # -- the system's shape, with this one service -------------------------------------------
    @property
    def runtimes(self) -> dict[str, ServiceRuntime]:
        return {self.service: self.runtime}

    @property
    def apps(self) -> dict:
        return {self.service: self.app}

    @property
    def processors(self) -> dict:
        return {self.service: self.processor}

    # -- events in ------------------------------------------------------------------------
    def event(
        self,
        event_type: str,
        tenant_id,
        data: dict,
        *,
        occurred_at: datetime | None = None,
        producer: str | None = None,
    ) -> dict:
        """Hand ``event_type`` to the inbox processor, as the service's worker would; it
        happened on the harness's clock unless ``occurred_at`` says when. Returns the
        envelope; anything but a processed event fails the test."""
        envelope = new_envelope(
            event_type,
            tenant_id,
            data,
            producer=producer or producers()[event_type],
            occurred_at=occurred_at or self._occurred_now(),
        )
        outcome = self.processor.process(json.dumps(envelope).encode(), {})
        assert outcome == Disposition.PROCESSED, outcome
        return envelope

    def _occurred_now(self) -> datetime:
        return self.clock() if self.events_on_own_clock else datetime.now(UTC)

    # -- events out -----------------------------------------------------------------------
    def published(self, *types: str) -> list[dict]:
        """Envelopes the service has written to its outbox, oldest first (optionally only
        of the given types)."""
        outbox = self.runtime.outbox_model
        stmt = select(outbox).order_by(outbox.id)
        if types:
            stmt = stmt.where(outbox.routing_key.in_(types))
        with self.runtime.session_factory() as session:
            return [json.loads(row.body) for row in session.scalars(stmt)]

    def published_data(self, *types: str) -> list[dict]:
        """The payloads of :meth:`published`."""
        return [envelope["data"] for envelope in self.published(*types)]

    # -- the API -----------------------------------------------------------------------------
    def token(
        self, tenant_id, role: str = "org_admin", staff_id=None, ttl: int = TOKEN_TTL_SECONDS
    ) -> str:
        """A bearer token of a staff member (a new one unless ``staff_id``) of ``tenant_id``,
        issued now on the harness's clock, or the host's where that clock is ahead of it:
        the host's clock judges a token's expiry and its issue time (``shared/auth.py``),
        and a token issued after the host's now is not valid yet."""
        principal = Principal(
            uuid.UUID(str(staff_id or uuid.uuid4())), uuid.UUID(str(tenant_id)), role
        )
        issued_at = min(self.clock(), datetime.now(UTC))
        return issue_token(self.settings.jwt_secret, principal, ttl, issued_at=issued_at)

    def call(self, method: str, path: str, token: str | None = None, **kwargs):
        """One request through the Flask test client (``json=``, ``data=``, ``headers=`` as
        Werkzeug takes them), with ``token`` as the bearer; the test client's response."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.open(path, method=method, headers=headers, **kwargs)
