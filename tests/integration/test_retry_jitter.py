"""A handler that fails is retried after a jittered wait: the messages of one outage do
not all come back to the handler at the same instant."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from services.plans.models import Outbox, ProcessedEvent
from shared.backoff import Backoff
from shared.events import new_envelope
from shared.messaging.inbox import Disposition, InboxProcessor


def test_a_failed_handler_is_retried_after_a_jittered_wait(plans_runtime):
    runtime = plans_runtime

    def failing(envelope, uow):
        raise RuntimeError("the handler's dependency is down")

    processor = InboxProcessor(
        runtime.settings,
        "plans",
        {"staff.created": failing},
        runtime.unit_of_work,
        ProcessedEvent,
        Outbox,
        clock=runtime.now,
        retry_backoff=Backoff(100, 300, random=lambda: 1.0),  # the widest draw: half
    )
    staff = {
        "staff_id": str(uuid.uuid4()),
        "name": "Casey Coach",
        "email": "casey.coach@harbour.example",
        "role": "coach",
    }
    envelope = new_envelope(
        "staff.created", uuid.uuid4(), staff, producer="intake", occurred_at=runtime.now()
    )
    assert processor.process(json.dumps(envelope).encode(), {}) == Disposition.RETRY_SCHEDULED

    with runtime.session_factory() as session:
        [retry] = session.scalars(select(Outbox)).all()
    assert retry.headers["x-attempt"] == 2
    wait = (retry.available_at - retry.created_at).total_seconds()
    assert 49 < wait <= 50  # half of the plain 100 s, not the plain 100 s
