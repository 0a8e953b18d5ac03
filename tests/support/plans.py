"""Plans on its own (:class:`PlansHarness`), and helpers for plans tests that run the
whole system: tokens for any role, events straight into plans' inbox, and the events
plans has written to its outbox."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from services.plans.bootstrap import build_runtime
from services.plans.models import Outbox
from services.plans.scheduler import PlansScheduler
from shared.auth import Principal, issue_token
from shared.events import new_envelope
from shared.messaging.inbox import Disposition
from tests.support.harness import ServiceHarness


def token_for(settings, tenant_id, staff_id=None, role="coach", issued_at=None) -> str:
    """A token issued ``issued_at`` (by default now, by the host's clock, which judges a
    token's expiry)."""
    principal = Principal(uuid.UUID(str(staff_id or uuid.uuid4())), uuid.UUID(str(tenant_id)), role)
    issued_at = issued_at or datetime.now(UTC)
    return issue_token(settings.jwt_secret, principal, 900, issued_at=issued_at)


def deliver(
    system, event_type: str, tenant_id, data: dict, producer="intake", occurred_at=None
) -> dict:
    """Hand an event to plans' inbox processor, as its worker would."""
    if occurred_at is None:  # when it happened: by default, on its producer's clock
        producing = system.runtimes.get(producer)  # absent from the plans harness
        occurred_at = producing.now() if producing else datetime.now(UTC)
    envelope = new_envelope(event_type, tenant_id, data, producer=producer, occurred_at=occurred_at)
    outcome = system.processors["plans"].process(json.dumps(envelope).encode(), {})
    assert outcome == Disposition.PROCESSED, outcome
    return envelope


ASPIRATIONS = (
    {"domain": "social_connection", "text": "See friends every week"},
    {"domain": "work_study", "text": "Start a TAFE course"},
)


def onboarded(
    tenant_id, coach_id, timezone="Australia/Sydney", client_id=None, aspirations=ASPIRATIONS
) -> dict:
    """The payload of a ``client.onboarded`` for a new client, ids as strings (as the
    API answers them), a goal drafted per aspiration."""
    return {
        "client_id": str(client_id or uuid.uuid4()),
        "coach_id": str(coach_id),
        "timezone": timezone,
        "contact": {
            "given_name": "Sam",
            "timezone": timezone,
            "consent": {"email": True, "sms": False},
            "email": "sam@example.net",
        },
        "assessment": {
            "version": 1,
            "domain_ratings": {"mental_health": 4, "housing": 6},
            "aspirations": list(aspirations),
        },
    }


def onboard(
    system,
    tenant_id,
    coach_id,
    timezone="Australia/Sydney",
    client_id=None,
    aspirations=ASPIRATIONS,
) -> dict:
    """A ``client.onboarded`` event for a new client (a goal drafted per aspiration);
    returns its payload."""
    data = onboarded(tenant_id, coach_id, timezone, client_id, aspirations)
    deliver(system, "client.onboarded", tenant_id, data)
    return data


def plan_events(system, *types: str) -> list[dict]:
    """Envelopes plans has recorded in its outbox, oldest first (optionally by type)."""
    with system.runtimes["plans"].session_factory() as session:
        stmt = select(Outbox).order_by(Outbox.id)
        if types:
            stmt = stmt.where(Outbox.routing_key.in_(types))
        return [json.loads(row.body) for row in session.scalars(stmt)]


def iso(moment: datetime) -> str:
    return moment.isoformat()


class PlansHarness(ServiceHarness):
    """Plans alone (``tests/support/harness.py``), with its scheduler ticked by hand."""

    service = "plans"
    events_on_own_clock = False

    @staticmethod
    def build_runtime(settings):
        return build_runtime(settings)

    def onboard(
        self,
        tenant_id,
        coach_id,
        timezone="Australia/Sydney",
        client_id=None,
        aspirations=ASPIRATIONS,
    ) -> dict:
        """``client.onboarded`` for a new client (a draft plan, a goal per aspiration);
        returns its payload."""
        data = onboarded(tenant_id, coach_id, timezone, client_id, aspirations)
        self.event("client.onboarded", tenant_id, data)
        return data

    def coach_token(self, tenant_id, coach_id) -> str:
        return self.token(tenant_id, role="coach", staff_id=coach_id)

    def scheduler(self, **options) -> PlansScheduler:
        return PlansScheduler(self.runtime, **options)

    def tick(self) -> int:
        """One round of the scheduler's time-based work, on the harness's clock."""
        return self.scheduler().tick()
