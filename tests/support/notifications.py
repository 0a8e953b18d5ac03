"""The notifications service on its own, stepped by hand: events straight into its inbox
processor, an injected clock, its API through the Flask test client, its dispatcher.

Cheaper than the whole system (one database, no broker) where a test is about
notifications' own behaviour; the journey tests use the whole system. The shape it
shares with the other services' harnesses is in ``tests/support/harness.py``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from services.notifications.bootstrap import build_runtime
from services.notifications.channels import channels_from_settings
from services.notifications.dispatcher import Dispatcher
from services.notifications.models import Nudge
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature
from tests.support import builders
from tests.support.builders import contact as contact_details
from tests.support.harness import ServiceHarness

__all__ = ["NotificationsHarness", "contact_details"]


class NotificationsHarness(ServiceHarness):
    service = "notifications"

    def __init__(self, settings, now=None):
        super().__init__(settings, now)
        self.dispatcher = Dispatcher(self.runtime, channels_from_settings(settings))

    @staticmethod
    def build_runtime(settings):
        return build_runtime(settings)

    def close(self) -> None:
        self.dispatcher.close()
        super().close()

    # -- events in ------------------------------------------------------------------------
    def onboard(
        self, tenant_id, coach_id=None, *, client_id=None, family_name=None, **contact
    ) -> uuid.UUID:
        data = builders.client_onboarded(
            client_id, coach_id, contact=contact_details(**contact)
        ) | ({"family_name": family_name} if family_name else {})
        self.event("client.onboarded", tenant_id, data)
        return data["client_id"]

    def refer(self, tenant_id, referred_by=None, **contact) -> uuid.UUID:
        data = builders.client_referred(referred_by=referred_by, contact=contact_details(**contact))
        self.event("client.referred", tenant_id, data)
        return data["client_id"]

    def update(self, tenant_id, client_id, changed, coach_id=None, **contact) -> dict:
        """``client.updated`` as intake sends it: the current coach (or none) and contact."""
        return self.event(
            "client.updated",
            tenant_id,
            builders.client_updated(
                client_id, changed, coach_id=coach_id, contact=contact_details(**contact)
            ),
        )

    def schedule_step(
        self,
        tenant_id,
        client_id,
        *,
        title: str = "Morning walk",
        due_in: timedelta = timedelta(minutes=30),
        action_id=None,
        key: str | None = None,
        lead_minutes: int = 60,
    ) -> tuple[uuid.UUID, str]:
        """``action.scheduled`` for one occurrence of a step due ``due_in`` from now, as
        plans announces it; returns (action id, occurrence key)."""
        action_id = action_id or uuid.uuid4()
        due_at = self.clock() + due_in
        key = key or builders.local_key(due_at, "UTC")
        self.event(
            "action.scheduled",
            tenant_id,
            builders.action_scheduled(
                client_id,
                due_at,
                action_id=action_id,
                title=title,
                occurrence_key=key,
                reminder_lead_minutes=lead_minutes,
            ),
        )
        return action_id, key

    def staff(self, tenant_id, staff_id=None, organisation_name=None, **fields) -> uuid.UUID:
        data = builders.staff_created(staff_id, organisation_name=organisation_name) | fields
        self.event("staff.created", tenant_id, data)
        return data["staff_id"]

    # -- the dispatcher -------------------------------------------------------------------
    def dispatch(self, rounds: int = 5) -> int:
        total = 0
        for _ in range(rounds):
            handled = self.dispatcher.run_once()
            total += handled
            if not handled:
                break
        return total

    # -- looking ----------------------------------------------------------------------------
    def nudges(self, client_id, kind: str | None = None) -> list[Nudge]:
        with self.runtime.session_factory() as session:
            stmt = select(Nudge).where(Nudge.client_id == client_id).order_by(Nudge.due_at)
            if kind:
                stmt = stmt.where(Nudge.kind == kind)
            return list(session.scalars(stmt))

    def nudge(self, client_id, kind: str) -> Nudge:
        found = self.nudges(client_id, kind)
        assert len(found) == 1, [(n.kind, n.state) for n in found]
        return found[0]

    def outbox_events(self, routing_key: str) -> list[dict]:
        return self.published(routing_key)

    # -- the API -----------------------------------------------------------------------------
    def provider_post(self, path: str, form: dict, *, auth_token: str | None = None):
        """POST a form as the SMS provider does, signed with the account's auth token."""
        signature = compute_signature(
            auth_token or self.settings.sms_auth_token,
            self.settings.public_base_url + path,
            list(form.items()),
        )
        return self.http.post(path, data=form, headers={SIGNATURE_HEADER: signature})
