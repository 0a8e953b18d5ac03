"""The caseload puts a client with a crisis alert nobody has acknowledged first, then one
acknowledged but not resolved, then flagged clients: kept from notifications'
``crisis_alert.*`` events, each applied once through the inbox, in one statement a page."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.plans.models import CrisisAlertState
from shared.events import new_envelope
from shared.messaging.inbox import Disposition
from tests.plans.test_coach_view import NOW, Org, _caseload
from tests.support.plans import deliver


@pytest.fixture
def org(plans):
    plans.clock.set(NOW)
    return Org(plans, plans.settings)


def _alert(org, client, state: str, alert_id, at) -> dict:
    return deliver(
        org.system,
        f"crisis_alert.{'opened' if state == 'open' else state}",
        org.tenant_id,
        {"alert_id": str(alert_id), "client_id": client, "state": state, "at": at.isoformat()},
        producer="notifications",
        occurred_at=at,
    )


def _order(org, token) -> list[tuple[str, str | None]]:
    return [(row["client_id"], row["crisis_alert"]) for row in _caseload(org, token)["items"]]


def test_a_client_with_an_open_crisis_alert_comes_first_until_it_is_resolved(org):
    avery = org.staff("Avery Coach")
    quiet = org.client(avery, given="Ari", family="Stone")
    flagged = org.client(avery, given="Bo", family="Reed")
    in_crisis = org.client(avery, given="Cy", family="Moss")
    org.checkin(org.plan_of(flagged)["id"], NOW - timedelta(days=1), attended=True, wellbeing=2)
    org.checkin(org.plan_of(in_crisis)["id"], NOW - timedelta(hours=2), attended=True)
    token = org.token(avery)
    assert _order(org, token) == [(flagged, None), (quiet, None), (in_crisis, None)]

    alert = uuid.uuid4()
    _alert(org, in_crisis, "open", alert, NOW - timedelta(minutes=5))
    assert _order(org, token) == [(in_crisis, "open"), (flagged, None), (quiet, None)]

    # Acknowledged, still not resolved: still before the flagged client.
    _alert(org, in_crisis, "acknowledged", alert, NOW - timedelta(minutes=2))
    other = uuid.uuid4()
    _alert(org, quiet, "open", other, NOW - timedelta(minutes=1))
    assert _order(org, token) == [(quiet, "open"), (in_crisis, "acknowledged"), (flagged, None)]

    # the admin's caseload and its pages walk the same order
    admin = org.token(role="org_admin")
    walked, cursor = [], None
    while True:
        page = _caseload(org, admin, "?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        walked += [row["client_id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert walked == [quiet, in_crisis, flagged]

    _alert(org, in_crisis, "resolved", alert, NOW)
    _alert(org, quiet, "acknowledged", other, NOW)
    _alert(org, quiet, "resolved", other, NOW)
    assert _order(org, token) == [(flagged, None), (quiet, None), (in_crisis, None)]


def test_each_crisis_alert_event_is_applied_once_and_never_moves_an_alert_back(org):
    avery = org.staff("Avery Coach")
    client = org.client(avery)
    alert = uuid.uuid4()
    opened = _alert(org, client, "open", alert, NOW - timedelta(minutes=5))
    runtime = org.system.runtimes["plans"]
    # The same event delivered again: the inbox drops it.
    again = org.system.processors["plans"].process(json.dumps(opened).encode(), {})
    assert again == Disposition.DUPLICATE
    _alert(org, client, "resolved", alert, NOW)
    # An "opened" that arrives after it was resolved (another envelope) changes nothing.
    late = new_envelope(
        "crisis_alert.opened",
        org.tenant_id,
        {"alert_id": str(alert), "client_id": client, "state": "open", "at": NOW.isoformat()},
        producer="notifications",
        occurred_at=NOW,
    )
    assert org.system.processors["plans"].process(json.dumps(late).encode(), {}) == (
        Disposition.PROCESSED
    )
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CrisisAlertState)) == 1
        assert session.get(CrisisAlertState, alert).state == "resolved"
    assert _order(org, org.token(avery)) == [(client, None)]


def test_another_organisations_alert_changes_nothing_here(org):
    avery = org.staff("Avery Coach")
    client = org.client(avery)
    deliver(
        org.system,
        "crisis_alert.opened",
        uuid.uuid4(),  # another organisation, naming this client's id
        {"alert_id": str(uuid.uuid4()), "client_id": client, "state": "open",
         "at": NOW.isoformat()},
        producer="notifications",
    )  # fmt: skip
    assert _order(org, org.token(avery)) == [(client, None)]
