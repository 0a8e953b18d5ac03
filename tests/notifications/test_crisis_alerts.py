"""Crisis alerts that someone owns: open until a coach or admin acknowledges them (by the
API or the signed link: its GET changes nothing, its POST acknowledges once), resolved with
a note; nobody acknowledging within the organisation's window sends the alert to its
on-call list at any hour, once a window per recipient, however many dispatchers run."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug import Response

from services.notifications.replies.alert_escalation import MAX_ESCALATIONS, escalate_due
from services.notifications.replies.models import CrisisAlert
from shared import metrics
from tests.notifications import test_replies
from tests.notifications.test_replies import COACH_PHONE, NUMBER, THREE_AM_SYDNEY, _text, _texts
from tests.support.schemathesis_check import assert_no_server_errors

SETTINGS = "/v1/organisation/crisis-settings"
ON_CALL_EMAIL = "oncall@harbour.example"
ON_CALL_PHONE = "+61400111222"
LINK = re.compile(r"https?://[^/\s]+(/alerts/[\w.\-]+)")


@pytest.fixture
def provider(httpserver):
    """The SMS provider's API: answers every send with a new message sid."""
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(test_replies.SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return httpserver


class Org:
    """An organisation with a coach (email and phone), a client of theirs and an admin."""

    def __init__(self, n, on_call=(ON_CALL_EMAIL, ON_CALL_PHONE), minutes=15):
        self.n = n
        self.tenant = uuid.uuid4()
        self.coach = n.staff(self.tenant, phone=COACH_PHONE, email="casey.coach@harbour.example")
        self.client = n.onboard(self.tenant, coach_id=self.coach, phone=NUMBER)
        self.admin = n.token(self.tenant)
        reply = n.call(
            "PUT",
            SETTINGS,
            self.admin,
            json={"acknowledge_within_minutes": minutes, "on_call": list(on_call)},
        )
        assert reply.status_code == 200, reply.json

    def coach_token(self, coach=None):
        return self.n.token(self.tenant, "coach", coach or self.coach)

    def alerts(self, token=None, query="?state=open") -> list[dict]:
        reply = self.n.call("GET", f"/v1/alerts{query}", token or self.admin)
        assert reply.status_code == 200, reply.json
        return reply.json["items"]

    def alert(self, alert_id, token=None) -> dict:
        reply = self.n.call("GET", f"/v1/alerts/{alert_id}", token or self.admin)
        assert reply.status_code == 200, reply.json
        return reply.json


def _crisis(org) -> dict:
    org.n.clock.set(THREE_AM_SYDNEY)  # 03:00 in Sydney
    _text(org.n, "I want to kill myself")
    org.n.dispatch()
    [alert] = org.alerts()
    return alert


def _link(texts, to) -> str:
    [body] = [body for number, body in texts if number == to]
    return LINK.search(body).group(1)


def test_an_alert_nobody_acknowledges_goes_to_the_on_call_list_at_3am_each_window(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    org = Org(n)
    alert = _crisis(org)
    assert alert["state"] == "open" and alert["client_name"] == "Jo"
    assert alert["escalate_at"] == (THREE_AM_SYDNEY + timedelta(minutes=15)).isoformat()
    assert n.published_data("crisis_alert.opened") == [
        {
            "alert_id": alert["id"],
            "client_id": str(org.client),
            "state": "open",
            "at": THREE_AM_SYDNEY.isoformat(),
            "by": None,
        }
    ]

    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=14))
    n.dispatch()
    assert n.nudges(org.client, "crisis_escalation") == []

    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=15))
    n.dispatch()
    sent = n.nudges(org.client, "crisis_escalation")
    assert sorted((e.channel, e.state) for e in sent) == [("email", "sent"), ("sms", "sent")]
    assert {e.sent_at for e in sent} == {THREE_AM_SYDNEY + timedelta(minutes=15)}
    [to_phone] = [body for to, body in _texts(provider) if to == ON_CALL_PHONE]
    assert to_phone.startswith("Urgent, on call: Jo (+61412345678) may be in crisis since")
    assert "03:00" in to_phone and "15 min" in to_phone and "/alerts/" in to_phone
    assert "kill" not in to_phone  # never the words
    [email] = [m for m in smtp.messages if m["To"] == ON_CALL_EMAIL]
    assert email["Subject"] == "Urgent, not yet acknowledged: Jo may be in crisis"
    assert "/alerts/" in email.get_body(("plain",)).get_content()
    assert metrics.CRISIS_ALERTS_OVERDUE._value.get() == 1

    # Another dispatcher round in the same window sends nothing more.
    n.dispatcher._escalations_due = None
    n.dispatch()
    assert escalate_due(n.runtime.unit_of_work(), n.clock()) == 0
    assert len(n.nudges(org.client, "crisis_escalation")) == 2

    # The next window: once more to each.
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=30))
    n.dispatch()
    assert len(n.nudges(org.client, "crisis_escalation")) == 4
    assert org.alert(alert["id"])["escalations"] == 2

    # Someone on call acknowledges by the link they were sent: no more escalation.
    link = _link(_texts(provider)[-1:], ON_CALL_PHONE)
    assert n.http.post(link).status_code == 200
    owned = org.alert(alert["id"])
    assert (owned["state"], owned["acknowledged_via"]) == ("acknowledged", "on_call_link")
    assert owned["acknowledged_by"] is None and owned["escalate_at"] is None
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=45))
    n.dispatch()
    assert len(n.nudges(org.client, "crisis_escalation")) == 4
    assert metrics.CRISIS_ALERTS_OVERDUE._value.get() == 0


def test_an_acknowledged_alert_is_never_escalated(notifications_with_sms, provider, smtp):
    n = notifications_with_sms
    org = Org(n)
    alert = _crisis(org)
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=10))
    reply = n.call("POST", f"/v1/alerts/{alert['id']}/acknowledge", org.coach_token())
    assert reply.status_code == 200, reply.json
    assert reply.json["acknowledged_by"] == str(org.coach)
    assert reply.json["acknowledged_at"] == (THREE_AM_SYDNEY + timedelta(minutes=10)).isoformat()
    for minutes in (15, 30, 120):
        n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=minutes))
        n.dispatch()
    assert n.nudges(org.client, "crisis_escalation") == []
    assert [to for to, _ in _texts(provider) if to == ON_CALL_PHONE] == []
    assert org.alerts() == []


def test_with_no_on_call_list_the_organisations_admins_are_told(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    org = Org(n, on_call=())
    admin = n.staff(
        org.tenant, role="org_admin", email="admin@harbour.example", phone="+61400999888"
    )
    n.staff(org.tenant, role="org_admin", email="gone@harbour.example", active=False)
    _crisis(org)
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=16))
    n.dispatch()
    sent = n.nudges(org.client, "crisis_escalation")
    assert sorted((e.channel, e.staff_id, e.state) for e in sent) == [
        ("email", admin, "sent"),
        ("sms", admin, "sent"),
    ]
    assert [m["To"] for m in smtp.messages if m["Subject"].startswith("Urgent, not yet")] == [
        "admin@harbour.example"
    ]
    # The admin's link acknowledges in their name.
    link = _link(_texts(provider), "+61400999888")
    assert n.http.post(link).status_code == 200
    [alert] = org.alerts(query="?state=acknowledged")
    assert (alert["acknowledged_by"], alert["acknowledged_via"]) == (str(admin), "link")


def test_escalations_stop_after_the_last_window(notifications_with_sms, provider, smtp):
    n = notifications_with_sms
    org = Org(n, on_call=(ON_CALL_EMAIL,), minutes=1)
    alert = _crisis(org)
    for minute in range(1, MAX_ESCALATIONS + 5):
        n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=minute))
        n.dispatch()
    assert len(n.nudges(org.client, "crisis_escalation")) == MAX_ESCALATIONS
    shown = org.alert(alert["id"])
    assert (shown["state"], shown["escalations"], shown["escalate_at"]) == (
        "open",
        MAX_ESCALATIONS,
        None,
    )


def test_two_dispatchers_escalate_each_window_once(notifications_with_sms, provider, smtp):
    n = notifications_with_sms
    org = Org(n)
    _crisis(org)
    due = THREE_AM_SYDNEY + timedelta(minutes=15)
    if n.runtime.engine.dialect.name == "postgresql":
        # One dispatcher holds the alert (claimed, not yet committed): the other skips it.
        with n.runtime.session_factory() as holder:
            holder.scalars(select(CrisisAlert).with_for_update()).all()
            assert escalate_due(n.runtime.unit_of_work(), due) == 0
            holder.rollback()
    assert escalate_due(n.runtime.unit_of_work(), due) == 1
    assert escalate_due(n.runtime.unit_of_work(), due + timedelta(minutes=1)) == 0
    assert len(n.nudges(org.client, "crisis_escalation")) == 2


def test_the_alerts_link_shows_on_get_and_acknowledges_once_on_post(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    org = Org(n)
    alert = _crisis(org)
    link = _link(_texts(provider), COACH_PHONE)

    for _ in range(2):  # a mail scanner, then the coach
        page = n.http.get(link)
        assert page.status_code == 200 and "Acknowledge this alert" in page.text
        assert "I want to kill myself" in page.text
    assert org.alert(alert["id"])["state"] == "open"
    assert n.published("crisis_alert.acknowledged") == []

    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=3))
    posted = n.http.post(link)
    assert posted.status_code == 200 and "was acknowledged at" in posted.text
    assert "Acknowledge this alert" not in posted.text
    owned = org.alert(alert["id"])
    assert (owned["state"], owned["acknowledged_by"], owned["acknowledged_via"]) == (
        "acknowledged",
        str(org.coach),
        "link",
    )
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=4))
    assert n.http.post(link).status_code == 200  # again: nothing changes
    assert org.alert(alert["id"])["acknowledged_at"] == owned["acknowledged_at"]
    assert len(n.published("crisis_alert.acknowledged")) == 1

    assert n.http.post(link[:-3] + "xyz").status_code == 404
    n.clock.set(THREE_AM_SYDNEY + timedelta(days=8))
    assert n.http.get(link).status_code == 404
    assert n.http.post(link).status_code == 404


def test_the_state_machine_and_who_may_see_an_alert(notifications_with_sms, provider, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    n = notifications_with_sms
    org = Org(n)
    alert_id = _crisis(org)["id"]
    other_coach = org.coach_token(n.staff(org.tenant))
    elsewhere = n.token(uuid.uuid4())
    coach = org.coach_token()

    assert [a["id"] for a in org.alerts(coach)] == [alert_id]
    assert org.alerts(other_coach) == [] and org.alerts(elsewhere) == []
    for token in (other_coach, elsewhere):
        assert n.call("GET", f"/v1/alerts/{alert_id}", token).status_code == 404
        assert n.call("POST", f"/v1/alerts/{alert_id}/acknowledge", token).status_code == 404
        reply = n.call("POST", f"/v1/alerts/{alert_id}/resolve", token, json={"note": "x"})
        assert reply.status_code == 404
    assert n.call("GET", f"/v1/alerts/{uuid.uuid4()}", coach).status_code == 404

    note = "Spoke with Jo at 03:20, safe with her sister tonight, GP tomorrow."
    path = f"/v1/alerts/{alert_id}"
    early = n.call("POST", f"{path}/resolve", coach, json={"note": note})
    assert early.status_code == 409 and early.content_type == "application/problem+json"
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=5))
    assert n.call("POST", f"{path}/acknowledge", coach).status_code == 200
    assert n.call("POST", f"{path}/acknowledge", org.admin).status_code == 409
    for body in ({}, {"note": ""}, {"note": "x" * 1001}, {"note": 7}):
        bad = n.call("POST", f"{path}/resolve", coach, json=body)
        assert bad.status_code == 422 and "note" in bad.json["errors"], (body, bad.json)
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=40))
    done = n.call("POST", f"{path}/resolve", org.admin, json={"note": note})
    assert done.status_code == 200, done.json
    assert done.json["state"] == "resolved" and done.json["note"] == note
    assert done.json["resolved_at"] == (THREE_AM_SYDNEY + timedelta(minutes=40)).isoformat()
    assert done.json["acknowledged_by"] == str(org.coach)
    assert n.call("POST", f"{path}/resolve", coach, json={"note": note}).status_code == 409
    assert n.call("POST", f"{path}/acknowledge", coach).status_code == 409

    assert org.alerts() == [] and [a["id"] for a in org.alerts(query="?state=resolved")] == [
        alert_id
    ]
    bad_state = n.call("GET", "/v1/alerts?state=closed", coach)
    assert bad_state.status_code == 422 and "state" in bad_state.json["errors"]
    resolved = n.published_data("crisis_alert.resolved")
    assert [event["alert_id"] for event in resolved] == [alert_id]
    assert all("note" not in event for event in resolved)
    assert "sister" not in caplog.text


def test_crisis_settings_take_a_window_and_an_on_call_list(notifications_with_sms):
    n = notifications_with_sms
    admin = n.token(uuid.uuid4())
    defaults = n.call("GET", SETTINGS, admin).json
    assert (defaults["acknowledge_within_minutes"], defaults["on_call"]) == (15, [])
    for body, field in (
        ({"acknowledge_within_minutes": 0}, "acknowledge_within_minutes"),
        ({"acknowledge_within_minutes": 121}, "acknowledge_within_minutes"),
        ({"acknowledge_within_minutes": "soon"}, "acknowledge_within_minutes"),
        ({"on_call": ["not an address"]}, "on_call"),
        ({"on_call": ["0412 345 678"]}, "on_call"),
        ({"on_call": [f"a{i}@example.org" for i in range(11)]}, "on_call"),
        ({"on_call": "oncall@example.org"}, "on_call"),
    ):
        reply = n.call("PUT", SETTINGS, admin, json=body)
        assert reply.status_code == 422, (body, reply.json)
        assert reply.content_type == "application/problem+json"
        assert set(reply.json["errors"]) == {field}, reply.json
    changed = n.call(
        "PUT",
        SETTINGS,
        admin,
        json={"acknowledge_within_minutes": 5, "on_call": [ON_CALL_EMAIL, ON_CALL_PHONE]},
    )
    assert changed.status_code == 200, changed.json
    shown = n.call("GET", SETTINGS, admin).json
    assert shown["acknowledge_within_minutes"] == 5
    assert shown["on_call"] == [ON_CALL_EMAIL, ON_CALL_PHONE]
    restored = n.call(
        "PUT", SETTINGS, admin, json={"acknowledge_within_minutes": None, "on_call": None}
    )
    assert (restored.json["acknowledge_within_minutes"], restored.json["on_call"]) == (15, [])
    coach = n.token(uuid.uuid4(), "coach")
    assert n.call("GET", SETTINGS, coach).status_code == 403


@pytest.mark.parametrize("role", ["org_admin", "coach"])
def test_generated_requests_to_a_real_alert_never_get_a_server_error(
    notifications_with_sms, provider, smtp, role
):
    n = notifications_with_sms
    org = Org(n)
    alert = _crisis(org)
    token = org.admin if role == "org_admin" else org.coach_token()
    link = _link(_texts(provider), COACH_PHONE)
    statuses = assert_no_server_errors(
        n.app,
        {"Authorization": f"Bearer {token}"},
        max_examples=8,
        path_parameters={"alert_id": alert["id"], "token": link.rsplit("/", 1)[1]},
    )
    assert statuses[200] > 0, statuses


def test_a_crisis_after_the_alert_was_resolved_opens_a_new_one_and_erasure_removes_them(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    org = Org(n)
    first = _crisis(org)["id"]
    coach = org.coach_token()
    path = f"/v1/alerts/{first}"
    assert n.call("POST", f"{path}/acknowledge", coach).status_code == 200
    note = "Called back, safe for tonight."
    assert n.call("POST", f"{path}/resolve", coach, json={"note": note}).status_code == 200
    # Within the quarter hour of the first: not folded into the resolved alert.
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=10))
    _text(n, "I want to kill myself")
    n.dispatch()
    [second] = org.alerts()
    assert second["id"] != first and second["state"] == "open"
    n.clock.set(THREE_AM_SYDNEY + timedelta(minutes=25))
    n.dispatch()
    assert len(n.nudges(org.client, "crisis_escalation")) == 2

    n.event("client.erased", org.tenant, {"client_id": org.client})
    assert org.alerts(query="") == []
    with n.runtime.session_factory() as session:
        assert session.scalars(select(CrisisAlert)).all() == []
    assert n.call("GET", path, org.admin).status_code == 404
