"""What became of a send (:class:`DeliveryOutcome`), and how outcomes are recorded with
the events they announce (``notification.sent``, ``notification.failed``)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, case, func, text, update

from services.notifications import suppressions
from services.notifications.dispatcher.composing import Delivery
from services.notifications.dispatcher.outcome_events import outcome_event
from services.notifications.models import Nudge
from shared import metrics
from shared.db import UnitOfWork

log = logging.getLogger(__name__)

REASON_LIMIT = 1000
NUDGES = Nudge.__table__
# One statement for every kind of outcome (sent, failed, scheduled again), built once;
# on the table rather than the mapped class, so no ORM bookkeeping per row.
RECORD_OUTCOME = (
    update(NUDGES)
    .where(NUDGES.c.id == bindparam("nudge_id"))
    .values(
        state=bindparam("new_state"),
        reason=bindparam("new_reason"),
        claimed_until=None,
        sent_at=bindparam("new_sent_at"),
        provider_message_id=bindparam("new_provider_id"),
        # Not once the client is erased (which clears the variables) while it was sent.
        body=case((NUDGES.c.variables.is_(None), None), else_=bindparam("new_body")),
        due_at=func.coalesce(bindparam("new_due_at", type_=NUDGES.c.due_at.type), NUDGES.c.due_at),
        updated_at=bindparam("now"),
    )
)
# On PostgreSQL, a group of outcomes and their events are recorded by this one statement,
# in its own implicit transaction: one round trip instead of four (BEGIN, UPDATE, INSERT,
# COMMIT) and no ORM session, which halves the recorder's CPU per outcome. All or nothing,
# like the general path in a unit of work (used elsewhere, and for hard bounces). The rows
# come as two JSON documents: one array parameter per column cost the driver more CPU in
# dumping them than the rest of the recording together.
RECORD_OUTCOMES_ON_POSTGRESQL = text(
    """
    WITH outcome AS (
        SELECT * FROM json_to_recordset(CAST(:outcomes AS json)) AS o(
            id uuid, state varchar, reason text, sent_at timestamptz,
            provider_message_id varchar, due_at timestamptz, body text
        )
    ), recorded AS (
        UPDATE nudges SET
            state = outcome.state, reason = outcome.reason, claimed_until = NULL,
            sent_at = outcome.sent_at, provider_message_id = outcome.provider_message_id,
            body = CASE WHEN nudges.variables IS NULL THEN NULL ELSE outcome.body END,
            due_at = coalesce(outcome.due_at, nudges.due_at), updated_at = :now
        FROM outcome WHERE nudges.id = outcome.id
    )
    INSERT INTO outbox (message_id, tenant_id, exchange, routing_key, body, headers,
                        aggregate_id, created_at, available_at, publish_attempts)
    SELECT e.message_id, e.tenant_id, e.exchange, e.routing_key, convert_to(e.body, 'UTF8'),
           '{}', e.aggregate_id, e.created_at, e.created_at, 0
    FROM json_to_recordset(CAST(:events AS json)) AS e(
        message_id uuid, tenant_id uuid, exchange varchar, routing_key varchar, body text,
        aggregate_id varchar, created_at timestamptz
    )
    """
)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of a send: ``sent``, ``failed``, or ``scheduled`` again to retry."""

    delivery: Delivery
    state: str
    reason: str | None = None
    provider_message_id: str | None = None
    bounced_address: str | None = None
    at: datetime | None = None  # when it was sent
    due_at: datetime | None = None

    def __post_init__(self):
        if self.reason:  # kept and published at most this long
            object.__setattr__(self, "reason", self.reason[:REASON_LIMIT])

    @property
    def text(self) -> str | None:
        """The message's text, kept with the nudge."""
        message = self.delivery.message
        return message.text if message is not None else None

    def event(self) -> tuple[str, dict] | None:
        """The event this outcome announces, if any (see ``outcome_event``)."""
        delivery = self.delivery
        return outcome_event(
            state=self.state,
            nudge_id=delivery.nudge_id,
            client_id=delivery.client_id,
            kind=delivery.kind,
            channel=delivery.channel,
            reason=self.reason,
        )


def record_in_a_unit_of_work(
    uow: UnitOfWork, outcomes: list[DeliveryOutcome], now: datetime
) -> None:
    """Record outcomes and their events in ``uow``'s transaction (the caller commits), and
    suppress an address that hard bounced."""
    uow.session.execute(
        RECORD_OUTCOME,
        [
            {
                "nudge_id": o.delivery.nudge_id,
                "new_state": o.state,
                "new_reason": o.reason,
                "new_sent_at": o.at,
                "new_provider_id": o.provider_message_id,
                "new_due_at": o.due_at,
                "new_body": o.text,
                "now": now,
            }
            for o in outcomes
        ],
    )
    for outcome in outcomes:
        delivery = outcome.delivery
        if outcome.bounced_address:
            suppressions.suppress(
                uow.session,
                delivery.tenant_id,
                delivery.channel,
                outcome.bounced_address,
                "bounce",
            )
        if (event := outcome.event()) is not None:
            event_type, data = event
            uow.publish(event_type, delivery.tenant_id, data, aggregate_id=delivery.client_id)


def record_in_one_statement(
    engine: Engine, uow: UnitOfWork, outcomes: list[DeliveryOutcome], now: datetime
) -> None:
    """PostgreSQL: record outcomes and their events in one statement on ``engine`` (in
    autocommit); ``uow`` only builds the outbox rows, and opens no session."""
    events = []
    for outcome in outcomes:
        delivery = outcome.delivery
        if (event := outcome.event()) is not None:
            event_type, data = event
            row = uow.outbox_row(
                event_type, delivery.tenant_id, data, aggregate_id=delivery.client_id
            )[1]
            events.append(row | {"body": row["body"].decode()})  # the envelope's JSON, ASCII
    recorded = [
        {
            "id": o.delivery.nudge_id,
            "state": o.state,
            "reason": o.reason,
            "sent_at": o.at,
            "provider_message_id": o.provider_message_id,
            "due_at": o.due_at,
            "body": o.text,
        }
        for o in outcomes
    ]
    parameters = {
        # UUIDs and datetimes as str(): forms PostgreSQL reads back exactly.
        "outcomes": json.dumps(recorded, default=str),
        "events": json.dumps(events, default=str),
        "now": now,
    }
    with engine.connect() as connection:
        connection.execute(RECORD_OUTCOMES_ON_POSTGRESQL, parameters)


def count_recorded(outcomes: list[DeliveryOutcome]) -> None:
    """Metrics and a log line for each outcome recorded: a failure or a retry at INFO, a
    send (hundreds a second in a burst, counted by the metrics) at DEBUG."""
    for outcome in outcomes:
        delivery = outcome.delivery
        metrics.NUDGES.labels(
            delivery.kind, delivery.channel, outcome.state, metrics.reason_kind(outcome.reason)
        ).inc()
        if outcome.state == "sent" and outcome.at and delivery.due_at:
            lateness = (outcome.at - delivery.due_at).total_seconds()
            metrics.NUDGE_LATENESS.labels(delivery.channel).observe(max(lateness, 0.0))
        level = logging.DEBUG if outcome.state == "sent" else logging.INFO
        if not log.isEnabledFor(level):
            continue
        log.log(
            level,
            "nudge " + ("delivery deferred" if outcome.state == "scheduled" else outcome.state),
            extra={
                "nudge_id": str(outcome.delivery.nudge_id),
                "kind": outcome.delivery.kind,
                "attempt": outcome.delivery.attempts,
            },
        )
