"""Replies by SMS in notifications: each read, answered once and announced once as
``client.replied``; a crisis answered at any hour and the coach alerted at once."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from werkzeug import Response

from services.notifications import suppressions

INBOUND = "/v1/webhooks/sms/inbound"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
NUMBER = "+61412345678"
COACH_PHONE = "+61499888777"
# 03:00 on 1 July in Sydney (AEST, UTC+10).
THREE_AM_SYDNEY = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def provider(httpserver):
    """The SMS provider's API: answers every send with a new message sid."""
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return httpserver


def _texts(httpserver) -> list[tuple[str, str]]:
    """(to, body) of every SMS sent through the provider."""
    sent = []
    for request, _ in httpserver.log:
        form = parse_qs(request.get_data(as_text=True))
        sent.append((form["To"][0], form["Body"][0]))
    return sent


def _text(n, body: str, sid: str | None = None, number: str = NUMBER):
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": number,
        "To": "+61400000000",
        "Body": body,
    }
    reply = n.provider_post(INBOUND, form)
    assert reply.status_code == 200 and reply.content_type.startswith("text/xml")
    return form["MessageSid"]


def _coach_and_client(n, tenant, coach_phone=COACH_PHONE, **contact):
    coach = n.staff(tenant, phone=coach_phone, email="casey.coach@harbour.example")
    client = n.onboard(tenant, coach_id=coach, **({"phone": NUMBER} | contact))
    return coach, client


def _preferences(n, tenant, client, **body):
    reply = n.call("PUT", f"/v1/clients/{client}/preferences", n.token(tenant), json=body)
    assert reply.status_code == 200, reply.json


def _sms_reminder(n, tenant, client, title="Morning walk", action_id=None, key=None):
    """An action reminder sent to the client by SMS now; returns (action id, key)."""
    action_id, key = n.schedule_step(tenant, client, title=title, action_id=action_id, key=key)
    n.dispatch()
    assert n.nudge(client, "action_reminder").state == "sent"
    assert n.nudge(client, "action_reminder").channel == "sms"
    return action_id, key


def test_a_crisis_at_3am_with_the_cap_reached_and_a_pause_is_answered_and_the_coach_alerted(
    notifications_with_sms, provider, smtp, caplog
):
    caplog.set_level(logging.DEBUG)
    n = notifications_with_sms
    tenant = uuid.uuid4()
    n.clock.set(THREE_AM_SYDNEY - timedelta(hours=2))  # 01:00 local
    _coach, client = _coach_and_client(n, tenant)
    # Today's one message is spent (the welcome, let through quiet hours on purpose).
    _preferences(n, tenant, client, quiet_hours={"start": "00:00", "end": "00:00"}, daily_cap=1)
    n.dispatch()
    assert n.nudge(client, "welcome").state == "sent"
    _preferences(
        n,
        tenant,
        client,
        quiet_hours={"start": "21:00", "end": "08:00"},
        paused_until=(THREE_AM_SYDNEY + timedelta(days=2)).isoformat(),
    )
    n.clock.set(THREE_AM_SYDNEY)
    n.event(
        "goal.achieved",
        tenant,
        {
            "goal_id": uuid.uuid4(),
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "title": "Walk daily",
            "domain": "physical_health",
        },
    )

    sid = _text(n, "I really can't go on anymore.")
    n.dispatch()

    # An ordinary nudge at this moment waits; the crisis text goes at once.
    assert n.nudge(client, "goal_celebration").state == "deferred"
    crisis = n.nudge(client, "crisis_text")
    assert (crisis.state, crisis.channel) == ("sent", "sms")
    assert crisis.sent_at == THREE_AM_SYDNEY
    texts = _texts(provider)
    assert (NUMBER, "If you are in danger call 000 now, or Lifeline on 13 11 14 (24/7). "
            "Your coach has been told.") in texts  # fmt: skip
    # The coach at once, by SMS and by email: who (as the caseload names them), their
    # phone, the time and a link; only the email quotes the words.
    [to_coach] = [body for to, body in texts if to == COACH_PHONE]
    assert to_coach.startswith("Urgent: Jo (+61412345678) sent a message at Wed 01 Jul, 03:00")
    assert "can't go on" not in to_coach and "/alerts/" in to_coach
    [alert] = [m for m in smtp.messages if m["To"] == "casey.coach@harbour.example"]
    assert alert["Subject"] == "Urgent: Jo may be in crisis"
    body = alert.get_body(("plain",)).get_content()
    assert "Jo (+61412345678)" in body and "03:00 (Australia/Sydney)" in body
    assert 'They wrote: "I really can\'t go on anymore."' in body
    assert "client " + str(client)[:8] not in alert.as_string()

    # Plans hears of it once, with the words (they become a journal entry there).
    [replied] = n.outbox_events("client.replied")
    assert replied["data"] | {"reply_id": None} == {
        "reply_id": None,
        "client_id": str(client),
        "channel": "sms",
        "received_at": "2026-06-30T17:00:00+00:00",
        "intent": "crisis",
        "rating": None,
        "action_id": None,
        "occurrence_key": None,
        "text": "I really can't go on anymore.",
    }
    assert "can't" not in replied["type"]

    # The provider delivers the same message again: nothing changes.
    sent_before = len(_texts(provider))
    _text(n, "I really can't go on anymore.", sid=sid)
    n.dispatch()
    assert len(n.outbox_events("client.replied")) == 1
    assert len(n.nudges(client, "crisis_text")) == 1
    assert len(_texts(provider)) == sent_before

    # Plans flags the plan for it: notifications does not alert the coach a second time.
    n.event(
        "client.risk_flagged",
        tenant,
        {
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "coach_id": _coach,
            "reason": "crisis_message",
            "reply_id": replied["data"]["reply_id"],
        },
    )
    n.dispatch()
    assert n.nudges(client, "risk_alert") == []
    assert len(n.nudges(client, "crisis_alert")) == 2

    ours = [r for r in caplog.records if r.name.startswith(("services", "shared"))]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "inbound sms" in logged
    for secret in ("go on anymore", NUMBER, COACH_PHONE):
        assert secret not in logged


def test_a_crisis_from_a_suppressed_number_still_alerts_the_coach(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    _coach, client = _coach_and_client(n, tenant, coach_phone=None)
    n.dispatch()
    _text(n, "STOP")
    _text(n, "thinking about suicide")
    n.dispatch()
    crisis = n.nudge(client, "crisis_text")
    assert (crisis.state, crisis.reason) == ("suppressed", "suppressed:stop")
    # A coach without a phone is alerted by email only.
    [alert] = n.nudges(client, "crisis_alert")
    assert (alert.state, alert.channel) == ("sent", "email")
    assert any(m["Subject"].startswith("Urgent") for m in smtp.messages)
    assert [to for to, _ in _texts(provider)] == [NUMBER]  # only the STOP confirmation


def test_a_crisis_of_a_client_without_a_coach_alerts_the_organisations_admins(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    admin = n.staff(tenant, role="org_admin", email="admin@harbour.example")
    client = n.refer(tenant, phone=NUMBER)
    _text(n, "I took an overdose")
    n.dispatch()
    [alert] = n.nudges(client, "crisis_alert")
    assert (alert.staff_id, alert.state) == (admin, "sent")
    assert n.nudge(client, "crisis_text").state == "sent"


def test_mood_and_journal_replies_are_acknowledged_once_each(notifications_with_sms, provider):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    _coach, client = _coach_and_client(n, tenant)
    n.dispatch()
    _text(n, "7/10")
    journal_sid = _text(n, "Went to the garden group, met two people")
    _text(n, "Went to the garden group, met two people", sid=journal_sid)
    n.dispatch()
    bodies = [body for to, body in _texts(provider) if to == NUMBER]
    assert bodies == ["Thanks, noted 7/10.", "Thanks, your coach will see this."]
    replies = [e["data"] for e in n.outbox_events("client.replied")]
    assert [(r["intent"], r["rating"], r["text"]) for r in replies] == [
        ("mood", 7, None),
        ("journal", None, "Went to the garden group, met two people"),
    ]


def test_done_after_an_sms_reminder_names_that_occurrence_and_without_one_is_a_journal_entry(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    _coach, client = _coach_and_client(n, tenant)
    _preferences(n, tenant, client, preferred_channel="sms")
    n.dispatch()

    _text(n, "done")  # no reminder yet
    action_id, key = _sms_reminder(n, tenant, client)
    n.clock.advance(hours=3)
    _text(n, "Did it!")
    n.dispatch()

    replies = [e["data"] for e in n.outbox_events("client.replied")]
    assert [(r["intent"], r["action_id"], r["occurrence_key"], r["text"]) for r in replies] == [
        ("journal", None, None, "done"),
        ("done", str(action_id), key, None),
    ]
    assert _texts(provider)[-1] == (NUMBER, "Well done \u2014 'Morning walk' marked done.")

    n.clock.advance(hours=22)  # more than a day after the reminder
    _text(n, "DONE")
    assert n.outbox_events("client.replied")[-1]["data"]["intent"] == "journal"


def test_done_texted_after_an_email_reminder_counts_like_after_a_text(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    _coach, client = _coach_and_client(n, tenant)  # email is the preferred channel
    n.dispatch()
    action_id, _ = n.schedule_step(tenant, client)
    n.dispatch()
    assert n.nudge(client, "action_reminder").channel == "email"
    _text(n, "done")
    n.dispatch()
    [done] = [e["data"] for e in n.outbox_events("client.replied")]
    assert (done["intent"], done["action_id"]) == ("done", str(action_id))
    assert _texts(provider)[-1] == (NUMBER, "Well done \u2014 'Morning walk' marked done.")


def test_yes_after_an_sms_reminder_is_done_but_from_a_suppressed_number_opts_back_in(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    _coach, client = _coach_and_client(n, tenant)
    _preferences(n, tenant, client, preferred_channel="sms")
    n.dispatch()
    action_id, _key = _sms_reminder(n, tenant, client)

    _text(n, "Yes")
    [done] = [e["data"] for e in n.outbox_events("client.replied")]
    assert (done["intent"], done["action_id"]) == ("done", str(action_id))
    assert n.outbox_events("contact.opted_in") == []

    _text(n, "STOP")
    _text(n, "YES")
    assert len(n.outbox_events("client.replied")) == 1
    assert len(n.outbox_events("contact.opted_in")) == 1
    with n.runtime.session_factory() as session:
        assert suppressions.suppression_of(session, tenant, "sms", NUMBER) is None


def test_a_text_from_an_unknown_number_or_a_blank_one_records_nothing(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    n.onboard(uuid.uuid4(), phone=NUMBER)
    _text(n, "hello?", number="+61400999888")
    _text(n, "  ")
    assert n.outbox_events("client.replied") == []


def test_crisis_settings_are_the_organisations_own(notifications_with_sms, provider):
    n = notifications_with_sms
    tenant, other = uuid.uuid4(), uuid.uuid4()
    admin = n.token(tenant)
    path = "/v1/organisation/crisis-settings"
    defaults = n.call("GET", path, admin).json
    assert (defaults["phrases"], defaults["crisis_texts"]) == ([], {})
    assert defaults["crisis_text"] is None and defaults["text_is_default"]
    assert defaults["defaults"]["patterns_version"]
    assert {"kill_myself", "self_harm"} <= {c["name"] for c in defaults["defaults"]["categories"]}
    assert "13 11 14" in defaults["defaults"]["crisis_texts"]["AU"]

    refused = n.call("PUT", path, admin, json={"phrases": ["ok", "!!"], "crisis_text": "x"})
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    assert set(refused.json["errors"]) == {"phrases", "crisis_text"}, refused.json
    assert n.call("PUT", path, n.token(tenant, role="coach"), json={}).status_code == 403
    assert n.call("GET", path).status_code == 401

    changed = n.call(
        "PUT",
        path,
        admin,
        json={
            "phrases": ["dark place", "Dark-place!", "black cloud"],
            "crisis_text": "Call Harbour's crisis line on 1800 000 111 now.",
            "crisis_texts": {"AU": "Call Harbour Sydney on 1800 000 222 now."},
        },
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["phrases"] == ["dark place", "black cloud"]
    assert changed.json["crisis_texts"] == {"AU": "Call Harbour Sydney on 1800 000 222 now."}
    assert changed.json["defaults"] == defaults["defaults"]  # the platform's are untouched
    assert n.call("GET", path, n.token(other)).json["phrases"] == []

    _coach, client = _coach_and_client(n, tenant)
    n.dispatch()
    _text(n, "I'm in a dark place")
    n.dispatch()
    [answer] = n.nudges(client, "crisis_text")
    assert answer.body == "Call Harbour Sydney on 1800 000 222 now. Your coach has been told."

    # The organisation's phrases add to the platform's patterns: they never replace them.
    _text(n, "I want to kill myself")
    n.dispatch()
    assert len(n.nudges(client, "crisis_text")) == 2

    restored = n.call(
        "PUT", path, admin, json={"phrases": None, "crisis_text": None, "crisis_texts": None}
    )
    assert restored.json["phrases"] == [] and restored.json["text_is_default"]
    assert restored.json["crisis_texts"] == {}


def test_crisis_settings_refuse_what_would_weaken_them_naming_the_value(notifications_with_sms):
    n = notifications_with_sms
    admin = n.token(uuid.uuid4())
    path = "/v1/organisation/crisis-settings"
    refused = n.call(
        "PUT",
        path,
        admin,
        json={
            "phrases": ["dark place", "is to", "kms", "want to"],
            "crisis_text": "Please call your coach in the morning.",
            "crisis_texts": {"GB": "Talk to someone you trust.", "XX": "Call 999 now please."},
        },
    )
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    errors = refused.json["errors"]
    assert set(errors["phrases"]) == {"1", "2", "3"}, errors
    assert "'is to'" in errors["phrases"]["1"][0] and "everyday" in errors["phrases"]["1"][0]
    assert "'kms'" in errors["phrases"]["2"][0] and "6 letters" in errors["phrases"]["2"][0]
    assert "number to call" in errors["crisis_text"][0]
    assert "number to call" in errors["crisis_texts"]["GB"]["value"][0]
    assert "'XX'" in errors["crisis_texts"]["XX"]["key"][0]
    assert n.call("GET", path, admin).json["phrases"] == []  # nothing was kept


@pytest.mark.parametrize(
    ("phone", "locale", "number"),
    [
        ("+447700900123", "en", "116 123"),
        ("+16135550123", "en", "988"),
        ("+64211234567", "en", "1737"),
    ],
)
def test_the_crisis_text_is_for_the_clients_country(
    notifications_with_sms, provider, phone, locale, number
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    _coach, client = _coach_and_client(n, tenant, phone=phone, locale=locale)
    n.dispatch()
    _text(n, "I c a n t  g o  o n", number=phone)
    n.dispatch()
    [answer] = n.nudges(client, "crisis_text")
    assert number in answer.body and answer.body.endswith("Your coach has been told.")


def test_a_crisis_written_in_look_alike_letters_gets_the_text_for_the_clients_region(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    n.staff(tenant, role="org_admin", email="admin@harbour.example")
    client = n.refer(tenant, phone=NUMBER)
    _text(n, "ѕuісіdе")  # Cyrillic ѕ, і, с, е
    n.dispatch()
    [answer] = n.nudges(client, "crisis_text")
    assert answer.body.startswith("If you are in danger call 000 now, or Lifeline on 13 11 14")


def test_acknowledgements_do_not_use_up_the_daily_cap(notifications_with_sms, provider):
    n = notifications_with_sms
    tenant = uuid.uuid4()
    _coach, client = _coach_and_client(n, tenant)
    _preferences(n, tenant, client, daily_cap=1)
    _text(n, "6")
    _text(n, "Cooked dinner for the first time in weeks")
    n.dispatch()
    assert [n.nudge(client, kind).state for kind in ("mood_ack", "journal_ack")] == ["sent"] * 2
    assert n.nudge(client, "welcome").state == "sent"  # the day's one nudge still went


def test_a_reply_texted_with_coaching_sms_reaches_the_client_and_is_answered(
    notifications_with_sms, provider, capsys
):
    """`coaching sms` signs as the provider does (over PUBLIC_BASE_URL) and the real
    inbound webhook files the text under the client and answers it."""
    import argparse
    from urllib.parse import urlsplit

    from coaching import sms

    n = notifications_with_sms
    _coach, _client = _coach_and_client(n, uuid.uuid4())
    n.dispatch()

    def post_in_process(url, form, headers):
        return n.http.post(urlsplit(url).path, data=form, headers=headers).status_code

    args = argparse.Namespace(body="I feel 7 today", sender=NUMBER, to_number=None)
    assert sms.run(n.settings, args, post=post_in_process) == 0
    assert "HTTP 200" in capsys.readouterr().out
    n.dispatch()
    args.body = "7"
    assert sms.run(n.settings, args, post=post_in_process) == 0
    n.dispatch()
    replies = [e["data"] for e in n.outbox_events("client.replied")]
    assert [(r["intent"], r["rating"], r["text"]) for r in replies] == [
        ("journal", None, "I feel 7 today"),
        ("mood", 7, None),
    ]
    answers = [body for to, body in _texts(provider) if to == NUMBER]
    assert answers[-2:] == ["Thanks, your coach will see this.", "Thanks, noted 7/10."]
