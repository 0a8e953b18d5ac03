"""The notifications service on its own, stepped by hand: events straight into its inbox
processor, an injected clock, its API through the Flask test client, its dispatcher.

Cheaper than the whole system (one database, no broker) where a test is about
notifications' own behaviour; the journey tests use the whole system.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coaching.registry import producers
from services.notifications.bootstrap import build_runtime
from services.notifications.channels import channels_from_settings
from services.notifications.dispatcher import Dispatcher
from services.notifications.models import Nudge, Outbox
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature
from shared.auth import Principal, issue_token
from shared.clock import FrozenClock
from shared.config import Settings
from shared.events import new_envelope
from shared.messaging.inbox import Disposition


class NotificationsHarness:
    def __init__(self, settings: Settings, now: datetime | None = None):
        self.settings = settings
        self.runtime = build_runtime(settings)
        self.runtime.migrate()
        self.clock = FrozenClock(now or datetime(2026, 7, 1, 2, 0, tzinfo=UTC))
        self.runtime.clock = self.clock
        self.processor = self.runtime.inbox_processor()
        self.app = self.runtime.create_app()
        self.http = self.app.test_client()
        self.dispatcher = Dispatcher(self.runtime, channels_from_settings(settings))

    def close(self) -> None:
        self.dispatcher.close()
        self.runtime.engine.dispose()

    # -- events in ------------------------------------------------------------------------
    def event(self, event_type: str, tenant_id, data: dict) -> dict:
        envelope = new_envelope(event_type, tenant_id, data, producer=producers()[event_type])
        envelope["occurred_at"] = self.clock().isoformat()  # it happened on the test's clock
        outcome = self.processor.process(json.dumps(envelope).encode(), {})
        assert outcome == Disposition.PROCESSED, outcome
        return envelope

    def onboard(
        self, tenant_id, coach_id=None, *, client_id=None, family_name=None, **contact
    ) -> uuid.UUID:
        client_id = client_id or uuid.uuid4()
        details = contact_details(**contact)
        self.event(
            "client.onboarded",
            tenant_id,
            {
                "client_id": client_id,
                "coach_id": coach_id or uuid.uuid4(),
                "timezone": details["timezone"],
                "contact": details,
                "assessment": {"version": 1, "domain_ratings": {"housing": 5}},
            }
            | ({"family_name": family_name} if family_name else {}),
        )
        return client_id

    def refer(self, tenant_id, referred_by=None, **contact) -> uuid.UUID:
        client_id = uuid.uuid4()
        self.event(
            "client.referred",
            tenant_id,
            {
                "client_id": client_id,
                "referred_by": referred_by,
                "contact": contact_details(**contact),
            },
        )
        return client_id

    def update(self, tenant_id, client_id, changed, coach_id=None, **contact) -> dict:
        """``client.updated`` as intake sends it: the current coach (or none) and contact."""
        return self.event(
            "client.updated",
            tenant_id,
            {
                "client_id": client_id,
                "changed": changed,
                "coach_id": coach_id,
                "contact": contact_details(**contact),
            },
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
        key = key or due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
        self.event(
            "action.scheduled",
            tenant_id,
            {
                "action_id": action_id,
                "goal_id": uuid.uuid4(),
                "plan_id": uuid.uuid4(),
                "client_id": client_id,
                "title": title,
                "occurrence_key": key,
                "due_at": due_at,
                "timezone": "Australia/Sydney",
                "reminder_lead_minutes": lead_minutes,
            },
        )
        return action_id, key

    def staff(self, tenant_id, staff_id=None, organisation_name=None, **fields) -> uuid.UUID:
        staff_id = staff_id or uuid.uuid4()
        self.event(
            "staff.created",
            tenant_id,
            {
                "staff_id": staff_id,
                "name": "Casey Coach",
                "email": "casey.coach@harbour.example",
                "role": "coach",
                "organisation_name": organisation_name,
            }
            | fields,
        )
        return staff_id

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
        with self.runtime.session_factory() as session:
            rows = session.scalars(
                select(Outbox).where(Outbox.routing_key == routing_key).order_by(Outbox.id)
            )
            return [json.loads(row.body) for row in rows]

    # -- the API -----------------------------------------------------------------------------
    def token(self, tenant_id, role: str = "org_admin", staff_id=None) -> str:
        principal = Principal(staff_id or uuid.uuid4(), uuid.UUID(str(tenant_id)), role)
        return issue_token(self.settings.jwt_secret, principal, 600)

    def call(self, method: str, path: str, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {}) or {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.open(path, method=method, headers=headers, **kwargs)

    def provider_post(self, path: str, form: dict, *, auth_token: str | None = None):
        """POST a form as the SMS provider does, signed with the account's auth token."""
        signature = compute_signature(
            auth_token or self.settings.sms_auth_token,
            self.settings.public_base_url + path,
            list(form.items()),
        )
        return self.http.post(path, data=form, headers={SIGNATURE_HEADER: signature})


def contact_details(**overrides) -> dict:
    return {
        "given_name": "Jordan",
        "preferred_name": "Jo",
        "email": f"jo.{uuid.uuid4().hex[:8]}@example.net",
        "phone": "+61412345678",
        "timezone": "Australia/Sydney",
        "locale": "en",
        "consent": {"email": True, "sms": True},
    } | overrides
