"""One clock (ARCHITECTURE.md §5.9): with the runtime's clock frozen at an instant far from
the host's, a whole journey through notifications (a coach and a client onboarded, a
step scheduled, its reminder dispatched, the client's reply) leaves no other "now" in
any row of its database or in any event of its outbox."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime, select
from werkzeug import Response

from services.notifications.models import Base, Outbox
from shared.db.types import UtcDateTime

# Far from any host's clock, and from any round number a default could produce.
START = datetime(2031, 5, 17, 3, 14, 15, tzinfo=UTC)
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
NUMBER = "+61412345678"

# Columns kept on the database server's clock on PostgreSQL, by design: a dispatcher's
# lease, which hosts whose clocks disagree must share (the providers' rate slots are too,
# as seconds, not datetimes)
# (ARCHITECTURE.md §5.4, services/notifications/dispatcher/lease.py).
DATABASE_CLOCK = {("nudges", "claimed_until")}


@pytest.fixture
def provider(httpserver):
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return httpserver


class Readings:
    """Every instant the frozen clock was moved to: the only "nows" there may be."""

    def __init__(self, clock):
        self.clock = clock
        self.instants = {clock()}

    def advance(self, **delta) -> None:
        self.instants.add(self.clock.advance(**delta))

    def window(self) -> tuple[datetime, datetime]:
        # Times derived from a reading (a step due in half an hour, a retry's backoff, a
        # digest next week) stay near the readings; the host's clock is years away.
        return min(self.instants) - timedelta(days=1), max(self.instants) + timedelta(days=400)


def _datetime_values(n) -> list[tuple[str, str, datetime]]:
    """(table, column, value) of every datetime in every row of notifications' database."""
    found = []
    with n.runtime.session_factory() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, DateTime | UtcDateTime)]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        found.append((table.name, column.name, value))
    return found


def test_a_whole_journey_keeps_to_the_runtime_clock(notifications_with_sms, provider, smtp):
    n = notifications_with_sms
    n.clock.set(START)
    clock = Readings(n.clock)
    tenant = uuid.uuid4()

    coach = n.staff(tenant, phone="+61499888777", email="casey.coach@harbour.example")
    client = n.onboard(tenant, coach_id=coach, phone=NUMBER)
    token = n.token(tenant)
    reply = n.call(
        "PUT", f"/v1/clients/{client}/preferences", token, json={"preferred_channel": "sms"}
    )
    assert reply.status_code == 200, reply.json
    preview = n.call(
        "POST",
        "/v1/templates/action_reminder/sms/preview",
        token,
        json={},
        headers={"Idempotency-Key": "preview-1"},  # a key, stamped on the clock
    )
    assert preview.status_code == 200, preview.json
    n.dispatch()
    clock.advance(minutes=7, seconds=3)
    n.schedule_step(tenant, client)
    n.dispatch()
    assert n.nudge(client, "action_reminder").state == "sent"
    clock.advance(hours=1, seconds=11)
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": NUMBER,
        "To": "+61400000000",
        "Body": "done",
    }
    assert n.provider_post("/v1/webhooks/sms/inbound", form).status_code == 200
    n.dispatch()
    [done] = [e["data"] for e in n.outbox_events("client.replied")]
    assert done["intent"] == "done"

    # Every event written: stamped with one of the clock's readings.
    with n.runtime.session_factory() as session:
        rows = list(session.scalars(select(Outbox)))
    assert rows
    for row in rows:
        assert row.created_at in clock.instants, (row.routing_key, row.created_at)
        occurred = datetime.fromisoformat(json.loads(row.body)["occurred_at"])
        assert occurred in clock.instants, (row.routing_key, occurred)

    # Every datetime of every row: a reading, or derived from one.
    values = _datetime_values(n)
    tables = {table for table, _, _ in values}
    assert {"outbox", "processed_events", "contacts", "nudges", "idempotency_keys"} <= tables
    earliest, latest = clock.window()
    elsewhere = [
        (table, column, value)
        for table, column, value in values
        if not earliest <= value <= latest and (table, column) not in DATABASE_CLOCK
    ]
    assert elsewhere == []
    stamps = [
        (table, column, value)
        for table, column, value in values
        if column in ("created_at", "updated_at", "processed_at") and value not in clock.instants
    ]
    assert stamps == []
