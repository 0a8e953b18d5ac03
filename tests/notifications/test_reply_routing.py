"""Whose text is it: a client's words reach only the record the person confirmed, on the
number they wrote to; a crisis from anyone is answered; the coach's alerts name the
client, arrive at once and never flood (issue 22)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from werkzeug import Response

from services.notifications.client_web.links import page_token
from services.notifications.models import Contact, Nudge
from services.notifications.replies.models import UnroutedMessage
from shared import metrics
from tests.conftest import PLATFORM_TOKEN

INBOUND = "/v1/webhooks/sms/inbound"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
SHARED_NUMBER = "+61400000000"  # SMS_FROM in the tests' environment
PHONE = "+61412345678"
SETTINGS = "/v1/organisation/notification-settings"


@pytest.fixture
def provider(httpserver):
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return httpserver


def _texts(httpserver) -> list[dict]:
    """Every SMS sent through the provider: To, From, Body."""
    sent = []
    for request, _ in httpserver.log:
        form = parse_qs(request.get_data(as_text=True))
        sent.append({key: form[key][0] for key in ("To", "From", "Body")})
    return sent


def _text(n, body: str, *, sender: str = PHONE, to: str = SHARED_NUMBER) -> str:
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": sender,
        "To": to,
        "Body": body,
    }
    reply = n.provider_post(INBOUND, form)
    assert reply.status_code == 200
    return form["MessageSid"]


def _replied(n) -> list[tuple[str, str, str]]:
    """(tenant, client, intent) of every ``client.replied`` announced."""
    return [
        (e["tenant_id"], e["data"]["client_id"], e["data"]["intent"])
        for e in n.outbox_events("client.replied")
    ]


def _sms_client(n, tenant, coach=None, **contact):
    client = n.onboard(tenant, coach_id=coach, phone=PHONE, **contact)
    preferences = {"daily_cap": 20, "preferred_channel": "sms"}
    n.call("PUT", f"/v1/clients/{client}/preferences", n.token(tenant), json=preferences)
    return client


def _contact(n, tenant, client) -> Contact:
    with n.runtime.session_factory() as session:
        return session.get(Contact, (tenant, client))


def _a_client_who_has_replied(n, tenant, coach):
    client = _sms_client(n, tenant, coach)
    n.dispatch()
    _text(n, "7")
    assert _replied(n) == [(str(tenant), str(client), "mood")]
    assert _contact(n, tenant, client).phone_confirmed_at is not None
    return client


@pytest.mark.parametrize("same_organisation", [False, True], ids=["other_org", "other_coach"])
def test_a_record_typed_in_with_a_clients_phone_does_not_take_their_replies(
    notifications_with_sms, provider, smtp, same_organisation
):
    n = notifications_with_sms
    org_a = uuid.uuid4()
    org_b = org_a if same_organisation else uuid.uuid4()
    coach_a = n.staff(org_a, email="coach.a@a.example", phone="+61499000001")
    coach_b = n.staff(org_b, email="coach.b@b.example", phone="+61499000002")
    client_a = _a_client_who_has_replied(n, org_a, coach_a)

    # Someone else creates a record with the same phone and onboards it: its texts reach
    # the phone, and carry a code, since the number is on another record.
    client_b = _sms_client(n, org_b, coach_b, preferred_name="Taken")
    n.dispatch()
    welcome_b = n.nudge(client_b, "welcome")
    assert welcome_b.channel == "sms"
    code_b = _contact(n, org_b, client_b).phone_code
    assert f"Reply YES {code_b} to get messages from" in welcome_b.body

    provider.clear_log() if hasattr(provider, "clear_log") else None
    _text(n, "I want to kill myself")
    _text(n, "went for a walk")
    n.dispatch()

    # Everything stays with the record the person confirmed.
    assert _replied(n)[1:] == [
        (str(org_a), str(client_a), "crisis"),
        (str(org_a), str(client_a), "journal"),
    ]
    assert n.nudges(client_b, "crisis_alert") == []
    alerts = n.nudges(client_a, "crisis_alert")
    assert {(a.staff_id, a.channel, a.state) for a in alerts} == {
        (coach_a, "email", "sent"),
        (coach_a, "sms", "sent"),
    }
    assert not any(m["To"] == "coach.b@b.example" for m in smtp.messages)
    assert not any(t["To"] == "+61499000002" for t in _texts(provider))


def test_a_code_confirms_a_new_record_and_the_old_one_then_hears_nothing(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    client_a = _a_client_who_has_replied(n, org_a, n.staff(org_a))
    client_b = _sms_client(n, org_b, n.staff(org_b))
    n.dispatch()
    code = _contact(n, org_b, client_b).phone_code

    _text(n, "YES 0000" if code != "0000" else "YES 1111")  # a wrong code confirms nothing
    assert _contact(n, org_b, client_b).phone_confirmed_at is None
    _text(n, f"yes {code}")
    n.dispatch()
    assert _contact(n, org_b, client_b).phone_confirmed_at is not None
    assert _contact(n, org_a, client_a).phone_confirmed_at is None
    assert n.nudge(client_b, "phone_confirmed_ack").state == "sent"
    confirmations = [e["data"] for e in n.outbox_events("contact.phone_confirmed")]
    assert sorted((c["client_id"], c["confirmed"]) for c in confirmations) == sorted(
        [(str(client_a), True), (str(client_b), True), (str(client_a), False)]
    )

    _text(n, "8")
    assert _replied(n)[-1] == (str(org_b), str(client_b), "mood")


def test_two_unconfirmed_records_on_one_number_file_nothing_but_a_crisis_is_answered(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    coach = n.staff(tenant, email="coach@harbour.example")
    parent = _sms_client(n, tenant, coach, preferred_name="Sam")
    child = _sms_client(n, tenant, coach, preferred_name="Alex")  # a family phone
    n.dispatch()
    _text(n, "feeling ok today")
    _text(n, "i cant go on any more")
    n.dispatch()

    assert _replied(n) == []
    assert n.nudges(parent, "crisis_alert") == n.nudges(child, "crisis_alert") == []
    [answer] = [t for t in _texts(provider) if t["Body"].startswith("If you are in danger")]
    assert answer["To"] == PHONE and "Your coach has been told" not in answer["Body"]
    with n.runtime.session_factory() as session:
        [kept] = session.scalars(select(UnroutedMessage)).all()
    assert (kept.why, kept.tenant_id, kept.text) == ("unconfirmed", None, "i cant go on any more")


def test_a_crisis_from_an_unknown_number_is_answered_kept_and_counted(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    before = metrics.UNROUTED_CRISIS.labels("shared")._value.get()
    _text(n, "I'm going to end my life tonight", sender="+61411222333")
    n.dispatch()

    [answer] = _texts(provider)
    assert (answer["To"], answer["From"]) == ("+61411222333", SHARED_NUMBER)
    assert "000" in answer["Body"]
    assert metrics.UNROUTED_CRISIS.labels("shared")._value.get() == before + 1
    # The platform operator sees it; an organisation's admin does not.
    listed = n.call(
        "GET", "/v1/platform/unrouted-messages", headers={"X-Platform-Token": PLATFORM_TOKEN}
    )
    assert listed.status_code == 200
    assert [(m["from_phone"], m["why"]) for m in listed.json] == [("+61411222333", "unknown")]
    assert n.call("GET", "/v1/platform/unrouted-messages").status_code == 401
    assert n.call("GET", "/v1/organisation/unrouted-messages", n.token(tenant)).json == []
    # An ordinary text from an unknown number records nothing and gets nothing back.
    _text(n, "hello, who is this?", sender="+61411222444")
    n.dispatch()
    assert len(_texts(provider)) == 1


def test_an_organisations_own_number_carries_its_texts_and_its_replies(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    shared_org, own_org, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    own_number = "+61400555666"
    client_shared = _a_client_who_has_replied(n, shared_org, n.staff(shared_org))

    assert (
        n.call("PUT", SETTINGS, n.token(own_org), json={"sender_numbers": ["0400555666"]})
    ).status_code == 422
    saved = n.call("PUT", SETTINGS, n.token(own_org), json={"sender_numbers": [own_number]})
    assert saved.status_code == 200 and saved.json["sender_numbers"] == [own_number]
    taken = n.call("PUT", SETTINGS, n.token(other), json={"sender_numbers": [own_number]})
    assert taken.status_code == 409 and taken.content_type == "application/problem+json"
    # The shared number is no one's own: claiming it would take everyone's replies.
    shared = n.call("PUT", SETTINGS, n.token(other), json={"sender_numbers": [SHARED_NUMBER]})
    assert shared.status_code == 409 and "sender_numbers" in shared.json["errors"]

    client_own = _sms_client(n, own_org, n.staff(own_org))
    n.dispatch()
    welcomes = [t["From"] for t in _texts(provider) if "welcome" in t["Body"].lower()]
    assert welcomes == [SHARED_NUMBER, own_number]
    # Its own number is its alone: no other organisation's record is in play, so the
    # first reply confirms its client; the shared number still reaches the other one.
    _text(n, "6", to=own_number)
    _text(n, "5", to=SHARED_NUMBER)
    assert _replied(n)[1:] == [
        (str(own_org), str(client_own), "mood"),
        (str(shared_org), str(client_shared), "mood"),
    ]
    # A crisis from a stranger to its number: its admins see it, with its crisis text.
    n.call(
        "PUT",
        "/v1/organisation/crisis-settings",
        n.token(own_org),
        json={"crisis_texts": {"AU": "Call our crisis line on 1800 000 111 now."}},
    )
    _text(n, "i want to die", sender="+61411999000", to=own_number)
    n.dispatch()
    [answer] = [t for t in _texts(provider) if t["To"] == "+61411999000"]
    assert answer["From"] == own_number
    assert answer["Body"].startswith("Call our crisis line on 1800 000 111 now.")
    listed = n.call("GET", "/v1/organisation/unrouted-messages", n.token(own_org)).json
    assert [m["why"] for m in listed] == ["unknown"]
    as_coach = n.token(own_org, "coach", uuid.uuid4())
    assert n.call("GET", "/v1/organisation/unrouted-messages", as_coach).status_code == 403
    assert n.call("GET", "/v1/organisation/unrouted-messages", n.token(other)).json == []


def test_stop_to_a_number_stops_its_records_confirmed_or_not(notifications_with_sms, provider):
    n = notifications_with_sms
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    client_a = _a_client_who_has_replied(n, org_a, n.staff(org_a))
    client_b = _sms_client(n, org_b, n.staff(org_b))
    n.dispatch()
    _text(n, "STOP")
    n.dispatch()
    assert len(n.outbox_events("contact.opted_out")) == 2
    assert n.nudge(client_a, "opt_out_confirmation").state == "sent"
    assert n.nudge(client_b, "opt_out_confirmation").state == "sent"


def test_crisis_alerts_are_coalesced_and_name_the_client(notifications_with_sms, provider, smtp):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    coach = n.staff(tenant, email="coach@harbour.example", phone="+61499888777")
    client = _sms_client(n, tenant, coach, preferred_name="Jo", given_name="Joanna")
    with n.runtime.unit_of_work() as uow:  # intake sent the family name with onboarding
        uow.session.get(Contact, (tenant, client)).family_name = "Citizen"
        uow.commit()
    n.dispatch()
    for words in ("i want to die", "kill myself", "i want to end my life", "so suicidal"):
        _text(n, words)
        n.clock.advance(minutes=1)
    n.dispatch()
    first = n.nudges(client, "crisis_alert")
    assert sorted(a.channel for a in first) == ["email", "sms"]
    assert all(a.state == "sent" for a in first)
    follow = n.nudges(client, "crisis_followup")
    assert sorted((f.channel, f.state) for f in follow) == [
        ("email", "scheduled"),
        ("sms", "scheduled"),
    ]
    n.clock.advance(minutes=12)
    n.dispatch()
    follow = n.nudges(client, "crisis_followup")
    assert all(f.state == "sent" for f in follow)
    [email] = [f for f in follow if f.channel == "email"]
    assert "Jo Citizen (+61412345678) has sent 3 more messages" in email.body
    assert '"so suicidal"' in email.body
    alert_emails = [m for m in smtp.messages if m["To"] == "coach@harbour.example"]
    assert [m["Subject"] for m in alert_emails] == [
        "Urgent: Jo Citizen may be in crisis",
        "Urgent: 3 more crisis messages from Jo Citizen",
    ]
    # The alert's link opens a page with who, their phone and the words.
    link = re.search(r"https://notify\.harbour\.example(/alerts/\S+)", email.body).group(1)
    page = n.http.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Jo Citizen" in html and 'href="tel:+61412345678"' in html
    assert "so suicidal" in html
    assert n.http.get(link[:-3] + "abc").status_code == 404

    # After the quarter hour a new crisis alerts at once again.
    _text(n, "i want to die again")
    n.dispatch()
    assert len(n.nudges(client, "crisis_alert")) == 4

    # An organisation that names clients by initials.
    n.call("PUT", SETTINGS, n.token(tenant), json={"alert_naming": "initials"})
    n.clock.advance(minutes=30)
    _text(n, "suicidal again")
    n.dispatch()
    assert any(m["Subject"] == "Urgent: J.C. may be in crisis" for m in smtp.messages)


def test_after_a_crisis_encouragement_waits_until_a_coach_acknowledges(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    client = _sms_client(n, tenant, n.staff(tenant))
    n.dispatch()
    _text(n, "I want to end it all")
    n.dispatch()
    plan = uuid.uuid4()
    n.event(
        "goal.achieved",
        tenant,
        {
            "goal_id": uuid.uuid4(),
            "plan_id": plan,
            "client_id": client,
            "title": "Walk daily",
            "domain": "physical_health",
        },
    )
    n.clock.advance(hours=2)  # past quiet hours, if any
    n.dispatch()
    celebration = n.nudge(client, "goal_celebration")
    assert (celebration.state, celebration.reason) == ("deferred", "crisis_hold")
    # An answer still goes: a mood of 2 is answered kindly, with where to get help.
    _text(n, "2")
    n.dispatch()
    low = n.nudge(client, "low_mood_ack")
    assert low.state == "sent" and "2/10 sounds hard" in low.body and "000" in low.body

    n.event(
        "client.risk_acknowledged",
        tenant,
        {"plan_id": plan, "client_id": client, "acknowledged_at": n.clock()},
    )
    n.clock.advance(minutes=31)
    n.dispatch()
    assert n.nudge(client, "goal_celebration").state in ("sent", "deferred")
    assert n.nudge(client, "goal_celebration").reason != "crisis_hold"


def test_a_crisis_on_the_page_goes_by_sms_only_with_sms_consent(notifications_with_sms, provider):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    client = n.onboard(
        tenant, coach_id=n.staff(tenant), phone=PHONE, consent={"email": True, "sms": False}
    )
    n.dispatch()
    email = _contact(n, tenant, client).email
    token = page_token(n.settings.jwt_secret, n.clock(), tenant, client, email=email)
    answer = n.http.post(
        f"/me/{token}/journal", data={"text": "I can't go on", "form_id": str(uuid.uuid4())}
    )
    assert answer.status_code in (200, 303)
    n.dispatch()
    crisis = n.nudge(client, "crisis_text")
    assert crisis.channel == "email"
    assert [t for t in _texts(provider) if t["To"] == PHONE] == []


def test_a_new_phone_is_unconfirmed_with_a_new_code(notifications_with_sms, provider):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    client = _a_client_who_has_replied(n, tenant, n.staff(tenant))
    code = _contact(n, tenant, client).phone_code
    n.update(tenant, client, ["phone"], phone="+61412999888")
    contact = _contact(n, tenant, client)
    assert contact.phone_confirmed_at is None and contact.phone_code not in (None, "")
    assert re.fullmatch(r"\d{4}", contact.phone_code)
    assert code is not None
    with n.runtime.session_factory() as session:
        assert session.scalars(select(Nudge).where(Nudge.audience == "number")).all() == []
    _ = timedelta
