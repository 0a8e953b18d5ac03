"""The dispatcher: claims due nudges, sends them, records the outcome.

Claiming marks a nudge ``sending`` with a lease in its own short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers never take the same
nudge); the send happens outside any transaction; the outcome and its event are then
committed together. A dispatcher that dies mid-send leaves the lease to expire, and the
nudge is taken again: the deterministic ``Message-ID`` lets mail systems drop the copy.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from services.notifications.channels import (
    Channel,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notifications.models import Contact, Nudge
from services.notifications.templates import render
from shared.db import utcnow
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_SEND_ATTEMPTS = 6
MAX_BACKOFF = timedelta(minutes=30)


class Dispatcher:
    def __init__(
        self,
        runtime: ServiceRuntime,
        channels: dict[str, Channel],
        *,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 50,
        organisation_name: str = "your coaching service",
    ):
        self.runtime = runtime
        self.channels = channels
        self.clock = clock
        self.batch_size = batch_size
        self.organisation_name = organisation_name
        self.retry_base = timedelta(seconds=runtime.settings.retry_base_seconds)

    def claim(self) -> list[uuid.UUID]:
        now = self.clock()
        with self.runtime.session_factory() as session:
            stmt = (
                select(Nudge)
                .where(
                    or_(
                        (Nudge.state == "scheduled") & (Nudge.due_at <= now),
                        (Nudge.state == "sending") & (Nudge.claimed_until < now),
                    )
                )
                .order_by(Nudge.due_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            nudges = list(session.scalars(stmt))
            for nudge in nudges:
                nudge.state = "sending"
                nudge.claimed_until = now + LEASE
                nudge.attempts += 1
            session.commit()
            return [nudge.id for nudge in nudges]

    def run_once(self) -> int:
        claimed = self.claim()
        for nudge_id in claimed:
            self._deliver(nudge_id)
        return len(claimed)

    def _deliver(self, nudge_id: uuid.UUID) -> None:
        with self.runtime.session_factory() as session:
            nudge = session.get(Nudge, nudge_id)
            contact = session.get(Contact, (nudge.tenant_id, nudge.client_id))
            message = self._compose(nudge, contact)
        if message is None:
            self._finish(nudge_id, "suppressed", reason="no_consent")
            return
        try:
            provider_id = self.channels[nudge.channel].send(message)
        except TransientDeliveryError as exc:
            self._retry_or_fail(nudge_id, str(exc))
        except PermanentDeliveryError as exc:
            self._finish(nudge_id, "failed", reason=str(exc))
        else:
            self._finish(nudge_id, "sent", provider_message_id=provider_id)

    def _compose(self, nudge: Nudge, contact: Contact | None) -> OutgoingMessage | None:
        """The message to send, or None when consent for the channel is gone."""
        if contact is None:
            return None
        if nudge.channel == "email" and contact.consent_email and contact.email:
            to = contact.email
        elif nudge.channel == "sms" and contact.consent_sms and contact.phone:
            to = contact.phone
        else:
            return None
        rendered = render(
            nudge.kind,
            nudge.channel,
            {
                "name": contact.display_name,
                "organisation_name": self.organisation_name,
                "unsubscribe_url": f"{self.runtime.settings.public_base_url}/unsubscribe",
            },
        )
        return OutgoingMessage(
            message_id=f"<{nudge.id}@coaching.nudges>",
            to=to,
            subject=rendered.subject,
            text=rendered.text,
        )

    def _retry_or_fail(self, nudge_id: uuid.UUID, error: str) -> None:
        with self.runtime.unit_of_work() as uow:
            nudge = uow.session.get(Nudge, nudge_id)
            if nudge.attempts >= MAX_SEND_ATTEMPTS:
                uow.rollback()
            else:
                delay = min(self.retry_base * 2 ** (nudge.attempts - 1), MAX_BACKOFF)
                nudge.state = "scheduled"
                nudge.due_at = self.clock() + delay
                nudge.reason = f"retrying: {error}"[:1000]
                nudge.claimed_until = None
                uow.commit()
                log.info(
                    "nudge delivery deferred",
                    extra={"nudge_id": str(nudge_id), "attempt": nudge.attempts},
                )
                return
        self._finish(nudge_id, "failed", reason=f"gave up: {error}")

    def _finish(
        self,
        nudge_id: uuid.UUID,
        state: str,
        *,
        reason: str | None = None,
        provider_message_id: str | None = None,
    ) -> None:
        with self.runtime.unit_of_work() as uow:
            nudge = uow.session.get(Nudge, nudge_id)
            nudge.state = state
            nudge.reason = reason[:1000] if reason else None
            nudge.claimed_until = None
            if state == "sent":
                nudge.sent_at = self.clock()
                nudge.provider_message_id = provider_message_id
            if state in ("sent", "failed"):
                uow.publish(
                    f"notification.{state}",
                    nudge.tenant_id,
                    {
                        "nudge_id": nudge.id,
                        "client_id": nudge.client_id,
                        "kind": nudge.kind,
                        "channel": nudge.channel,
                        "reason": nudge.reason,
                    },
                    aggregate_id=nudge.client_id,
                )
            uow.commit()
        log.info("nudge " + state, extra={"nudge_id": str(nudge_id)})

    def run_forever(self, stop: threading.Event) -> None:
        log.info("dispatcher started")
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception("dispatcher loop failed; retrying")
                stop.wait(1.0)
                continue
            if handled < self.batch_size:
                stop.wait(self.runtime.settings.poll_interval_seconds)
        log.info("dispatcher stopped")
