"""Intake on its own (``tests/support/harness.py``): its API as an organisation uses it,
through :class:`PlatformApi` on the Flask test client, and the events it records."""

from __future__ import annotations

from datetime import UTC, datetime

from services.intake.bootstrap import build_runtime
from tests.support.api import InProcessTransport, PlatformApi
from tests.support.harness import ServiceHarness


class IntakeHarness(ServiceHarness):
    """Its clock starts at the real time, not the harness's usual START: intake stamps
    the access tokens it issues on its clock, and every service checks their expiry
    against the wall clock."""

    service = "intake"

    def __init__(self, settings, now: datetime | None = None):
        super().__init__(settings, now or datetime.now(UTC))
        self.api = PlatformApi(InProcessTransport(self.apps), settings.platform_admin_token)

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
