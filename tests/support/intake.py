"""Intake on its own (``tests/support/harness.py``): its API as an organisation uses it,
through :class:`PlatformApi` on the Flask test client, and the events it records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.intake.bootstrap import build_runtime
from tests.support.api import InProcessTransport, PlatformApi
from tests.support.harness import ServiceHarness


class WallClock:
    """The wall clock, as intake runs on it in the whole system; ``set`` and ``advance``
    shift it."""

    def __init__(self, now: datetime | None = None):
        self.offset = (now - datetime.now(UTC)) if now else timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, now: datetime) -> None:
        self.offset = now - datetime.now(UTC)

    def advance(self, **delta) -> datetime:
        self.offset += timedelta(**delta)
        return self()


class IntakeHarness(ServiceHarness):
    """Intake runs on the wall clock (``WallClock``), as in the whole system: its rows,
    tokens and events are stamped on it and its tests compare those times."""

    service = "intake"
    events_on_own_clock = False

    def __init__(self, settings, now: datetime | None = None):
        super().__init__(settings, now)
        self.api = PlatformApi(InProcessTransport(self.apps), settings.platform_admin_token)

    def make_clock(self, now: datetime | None):
        return WallClock(now)

    @staticmethod
    def build_runtime(settings):
        return build_runtime(settings)

    def new_tenant(self, name: str = "Harbour Recovery Services") -> dict:
        """An organisation, its admin's token and the admin's staff id (as the ``tenant``
        fixture gives them)."""
        organisation, token = self.api.new_tenant(name)
        return {
            "organisation": organisation,
            "token": token,
            "staff_id": organisation["admin"]["id"],
        }
