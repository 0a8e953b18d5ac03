"""The client answers, through the whole system: a text to the signed webhook reaches the
plan (journal, wellbeing, a completed step, a risk flag) and is acknowledged by SMS."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug import Response

from coaching.registry import load_settings
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature
from services.plans import journal
from shared.clock import FrozenClock
from shared.events import new_envelope
from shared.localtime import WEEKDAYS
from shared.messaging.inbox import Disposition
from tests.support import builders
from tests.support.database import text_values
from tests.support.plans import deliver, onboard

AUTH_TOKEN = "sms-auth-token-for-replies"
BASE_URL = "https://notify.harbour.example"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
CLIENT_PHONE = "+61412345678"
COACH_PHONE = "+61499888777"
SYDNEY = "Australia/Sydney"
# 03:00 and 12:00 on 1 July in Sydney (AEST, UTC+10).
THREE_AM = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
NOON = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def settings(env, monkeypatch, httpserver):
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    monkeypatch.setenv("SMS_API_URL", httpserver.url_for(SMS_PATH))
    monkeypatch.setenv("SMS_ACCOUNT_SID", "AC0123456789")
    monkeypatch.setenv("SMS_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("SMS_FROM", "+61400000000")
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE_URL)
    return load_settings()


@pytest.fixture
def clock(system):
    frozen = FrozenClock(NOON)
    system.runtimes["notifications"].clock = frozen
    system.runtimes["plans"].clock = frozen
    return frozen


def text_in(system, body: str, sid: str | None = None) -> str:
    """The client texts ``body``: the provider calls the webhook, signed."""
    form = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "From": CLIENT_PHONE,
        "To": "+61400000000",
        "Body": body,
    }
    signature = compute_signature(AUTH_TOKEN, BASE_URL + "/v1/webhooks/sms/inbound", form.items())
    reply = (
        system.apps["notifications"]
        .test_client()
        .post("/v1/webhooks/sms/inbound", data=form, headers={SIGNATURE_HEADER: signature})
    )
    assert reply.status_code == 200
    return form["MessageSid"]


def texts_out(httpserver) -> list[tuple[str, str]]:
    sent = []
    for request, _ in httpserver.log:
        form = parse_qs(request.get_data(as_text=True))
        sent.append((form["To"][0], form["Body"][0]))
    return sent


def _client_with_coach(api, tenant, system):
    coach, coach_token = api.add_staff(tenant["token"], phone=COACH_PHONE)
    client = api.onboarded_client(tenant["token"], coach["id"], timezone=SYDNEY)
    system.relay()
    system.consume()
    [plan] = api.plans_of(coach_token, client["id"])
    return coach, coach_token, client, plan


def _preferences(api, token, client_id, **body):
    reply = api.call(
        "notifications", "PUT", f"/v1/clients/{client_id}/preferences", token, json=body
    )
    assert reply.status == 200, reply.body


def _journal(api, token, plan_id, query=""):
    reply = api.call("plans", "GET", f"/v1/plans/{plan_id}/journal{query}", token)
    assert reply.status == 200, reply.body
    return reply.body


def test_a_crisis_text_at_3am_with_the_cap_reached_is_answered_flagged_alerted_and_journaled(
    api, tenant, system, clock, smtp, httpserver
):
    clock.set(THREE_AM - timedelta(hours=2))  # 01:00 in Sydney
    coach, coach_token, client, plan = _client_with_coach(api, tenant, system)
    # The day's one message is spent on the welcome (let through quiet hours on purpose).
    _preferences(
        api, coach_token, client["id"], quiet_hours={"start": "00:00", "end": "00:00"}, daily_cap=1
    )
    system.settle()
    sent = [n["kind"] for n in api.nudges_of(coach_token, client["id"]) if n["state"] == "sent"]
    assert sent == ["welcome"]
    _preferences(api, coach_token, client["id"], quiet_hours={"start": "21:00", "end": "08:00"})
    clock.set(THREE_AM)

    sid = text_in(system, "I want to end my life")
    system.settle()

    # 1. The crisis text to the client, at 03:00, past quiet hours and the cap.
    sent = texts_out(httpserver)
    assert (
        CLIENT_PHONE,
        "If you are in danger call 000 now, or Lifeline on 13 11 14 (24/7). "
        "Your coach has been told.",
    ) in sent
    # 2. The coach, at once: by SMS (the coach has a phone) and by email; once.
    assert len([body for to, body in sent if to == COACH_PHONE]) == 1
    alerts = [m for m in smtp.messages if m["To"] == coach["email"]]
    assert [m["Subject"] for m in alerts] == ["Urgent: Jo Rivers may be in crisis"]
    # 3. The plan is flagged for it.
    flagged = api.call("plans", "GET", f"/v1/plans/{plan['id']}", coach_token).body
    assert (flagged["risk_flagged"], flagged["risk_reason"]) == (True, "crisis_message")
    # 4. The words are in the journal.
    [entry] = _journal(api, coach_token, plan["id"])["items"]
    assert (entry["intent"], entry["channel"], entry["text"]) == (
        "crisis",
        "sms",
        "I want to end my life",
    )
    assert entry["received_at"] == "2026-06-30T17:00:00+00:00"
    # No second alert for plans' flag.
    kinds = [n["kind"] for n in api.nudges_of(coach_token, client["id"])]
    assert sorted(kinds) == [
        "crisis_alert",
        "crisis_alert",
        "crisis_text",
        "weekly_digest",  # Sunday's, waiting
        "welcome",
    ]

    # The provider delivers the same message again: nothing changes anywhere.
    sent_before = len(texts_out(httpserver))
    text_in(system, "I want to end my life", sid=sid)
    system.settle()
    assert len(texts_out(httpserver)) == sent_before
    assert len(_journal(api, coach_token, plan["id"])["items"]) == 1

    # A low rating after it: answered kindly, and the crisis stays the plan's reason.
    text_in(system, "2")
    system.settle()
    assert any(to == CLIENT_PHONE and "2/10 sounds hard" in b for to, b in texts_out(httpserver))
    flagged = api.call("plans", "GET", f"/v1/plans/{plan['id']}", coach_token)
    assert (flagged.body["risk_flagged"], flagged.body["risk_reason"]) == (True, "crisis_message")

    # Encouragement waits until the coach acknowledges the crisis; then it may go.
    digest = next(
        n for n in api.nudges_of(coach_token, client["id"]) if n["kind"] == "weekly_digest"
    )

    def hold_since():
        from services.notifications.models import Contact

        with system.runtimes["notifications"].session_factory() as session:
            contact = session.scalar(
                select(Contact).where(Contact.client_id == uuid.UUID(client["id"]))
            )
            return contact.crisis_hold_since

    assert hold_since() is not None
    acknowledged = api.call(
        "plans",
        "PATCH",
        f"/v1/plans/{plan['id']}",
        coach_token,
        json={"risk_flagged": False},
        headers={"If-Match": flagged.headers["ETag"]},
    )
    assert acknowledged.status == 200, acknowledged.body
    system.settle()
    assert hold_since() is None
    assert digest["state"] == "scheduled"


def _by_due_time(nudges) -> list[dict]:
    return sorted(nudges, key=lambda n: datetime.fromisoformat(n["due_at"]))


def test_mood_done_and_journal_replies_reach_the_plan_and_are_acknowledged(
    api, tenant, system, clock, httpserver
):
    coach, coach_token, client, plan = _client_with_coach(api, tenant, system)
    _preferences(api, coach_token, client["id"], preferred_channel="sms")
    activated = api.call(
        "plans", "PATCH", f"/v1/plans/{plan['id']}", coach_token, json={"status": "active"}
    )
    assert activated.status == 200, activated.body
    system.settle()

    # DONE with no reminder yet: a journal entry.
    text_in(system, "DONE")
    system.settle()

    # A daily step at 12:30 Sydney: today's reminder is due now (12:00), by SMS.
    step = api.call(
        "plans",
        "POST",
        f"/v1/goals/{plan['goals'][0]['id']}/actions",
        coach_token,
        json={
            "title": "Morning walk",
            "frequency": "daily",
            "local_time": "12:30",
            "start_date": "2026-07-01",
            "reminder_lead_minutes": 60,
        },
    ).body
    system.settle()
    # By due time: on the frozen clock every nudge was created at the same moment.
    reminders = _by_due_time(
        n for n in api.nudges_of(coach_token, client["id"]) if n["kind"] == "action_reminder"
    )
    assert [r["state"] for r in reminders[:2]] == ["sent", "scheduled"]
    assert texts_out(httpserver)[-1][0] == CLIENT_PHONE

    clock.advance(minutes=50)
    text_in(system, "did it")
    system.settle()
    occurrences = api.call("plans", "GET", f"/v1/actions/{step['id']}", coach_token).body
    by_key = {o["occurrence_key"]: o["status"] for o in occurrences["occurrences"]}
    assert by_key["2026-07-01T12:30"] == "completed"
    assert by_key["2026-07-02T12:30"] == "scheduled"
    assert texts_out(httpserver)[-1] == (
        CLIENT_PHONE,
        "Well done \u2014 'Morning walk' marked done.",
    )
    # Only that occurrence: tomorrow's reminder still waits.
    states = [
        n["state"]
        for n in _by_due_time(api.nudges_of(coach_token, client["id"]))
        if n["kind"] == "action_reminder"
    ]
    assert states[:2] == ["sent", "scheduled"]

    clock.advance(minutes=1)
    text_in(system, "2 rough day")
    system.settle()
    to, answer = texts_out(httpserver)[-1]
    assert to == CLIENT_PHONE and answer.startswith("Thanks for telling us - 2/10 sounds hard.")
    assert "000" in answer  # where to get help, not just "noted"
    progress = api.call("plans", "GET", f"/v1/plans/{plan['id']}/progress", coach_token).body
    assert [(p["wellbeing"], p["source"]) for p in progress["wellbeing"]] == [(2, "client")]
    # The words after the number are kept with the rating, for the coach.
    [entry] = [e for e in _journal(api, coach_token, plan["id"])["items"] if e["intent"] == "mood"]
    assert (entry["rating"], entry["text"]) == (2, "2 rough day")
    assert progress["risk_flagged"] is True
    risk = [n for n in api.nudges_of(coach_token, client["id"]) if n["kind"] == "risk_alert"]
    assert len(risk) == 1  # a low self-rating alerts the coach like a low check-in
    # The caseload hears the client too: last contact, and the self-rating as the latest.
    [row] = api.call("plans", "GET", "/v1/caseload", coach_token).body["items"]
    assert row["latest_wellbeing"]["value"] == 2
    assert row["latest_wellbeing"]["source"] == "client"
    assert row["last_contact_at"] == row["latest_wellbeing"]["at"]
    assert row["last_contact_at"].startswith(clock().date().isoformat())

    clock.advance(minutes=1)
    sid = text_in(system, "Met my sister for coffee")
    text_in(system, "Met my sister for coffee", sid=sid)
    system.settle()
    assert texts_out(httpserver)[-1] == (CLIENT_PHONE, "Thanks, your coach will see this.")
    acknowledgements = [
        body for to, body in texts_out(httpserver) if body.startswith("Thanks, your")
    ]
    assert len(acknowledgements) == 2  # the early DONE and this one; not the copy

    journal = _journal(api, coach_token, plan["id"])["items"]
    assert [(e["intent"], e["text"], e["rating"]) for e in journal] == [
        ("journal", "Met my sister for coffee", None),
        ("mood", "2 rough day", 2),  # the rating and the words with it
        ("done", None, None),
        ("journal", "DONE", None),
    ]
    assert journal[2]["action_id"] == step["id"]
    first = _journal(api, coach_token, plan["id"], "?limit=3")
    rest = _journal(api, coach_token, plan["id"], f"?limit=3&cursor={first['next_cursor']}")
    assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in journal]
    assert rest["next_cursor"] is None

    timeline = api.call("plans", "GET", f"/v1/plans/{plan['id']}/timeline", coach_token).body
    replies = [item for item in timeline["items"] if item["type"] == "reply"]
    assert [item["summary"] for item in replies][0] == "client replied by sms: journal"
    assert len(replies) == 4


def test_a_mood_prompt_goes_by_sms_at_six_local_and_the_answer_is_a_wellbeing_point(
    api, tenant, system, clock, httpserver
):
    # Tomorrow, by the wall clock, at noon in Sydney: plans dates a new plan by the wall
    # clock, and its progress shows the plan's life from that day on.
    sydney = ZoneInfo(SYDNEY)
    day = (datetime.now(UTC).astimezone(sydney) + timedelta(days=1)).date()

    def at(days: int, hour: int) -> datetime:
        return datetime.combine(day + timedelta(days=days), time(hour), sydney).astimezone(UTC)

    clock.set(at(0, 12))
    coach, coach_token, client, plan = _client_with_coach(api, tenant, system)
    _preferences(api, coach_token, client["id"], preferred_channel="sms")
    path = f"/v1/plans/{plan['id']}"
    assert api.call("plans", "PATCH", path, coach_token, json={"status": "active"}).status == 200
    # Prompts today and three days on, at 18:00 local.
    weekdays = [WEEKDAYS[day.weekday()], WEEKDAYS[(day.weekday() + 3) % 7]]
    body = {"weekdays": weekdays, "local_time": "18:00"}
    reply = api.call("plans", "PUT", f"{path}/mood-prompts", coach_token, json=body)
    assert reply.status == 200, reply.body
    system.settle()

    def prompts():
        return _by_due_time(
            n for n in api.nudges_of(coach_token, client["id"]) if n["kind"] == "mood_prompt"
        )

    [today] = prompts()
    assert (today["state"], datetime.fromisoformat(today["due_at"])) == ("scheduled", at(0, 18))
    clock.set(at(0, 18) - timedelta(minutes=1))
    system.settle()
    assert not [text for _, text in texts_out(httpserver) if "How are you feeling" in text]

    clock.set(at(0, 18))
    system.settle()
    to, said = texts_out(httpserver)[-1]
    assert to == CLIENT_PHONE
    assert said.endswith(
        "How are you feeling today, from 1 to 10? Reply with a number. Reply STOP to opt out."
    )

    clock.advance(minutes=7)
    text_in(system, "6")
    system.settle()
    assert texts_out(httpserver)[-1] == (CLIENT_PHONE, "Thanks, noted 6/10.")
    progress = api.call("plans", "GET", f"{path}/progress", coach_token).body
    assert [(p["wellbeing"], p["source"]) for p in progress["wellbeing"]] == [(6, "client")]
    # The next prompt waits, three days on at 18:00 local.
    assert [(n["state"], datetime.fromisoformat(n["due_at"])) for n in prompts()][-1] == (
        "scheduled",
        at(3, 18),
    )


def test_only_the_clients_coach_and_admins_read_the_journal(api, tenant, system, clock):
    coach, coach_token, client, plan = _client_with_coach(api, tenant, system)
    text_in(system, "Feeling steadier this week")
    system.settle()
    path = f"/v1/plans/{plan['id']}/journal"
    assert len(api.call("plans", "GET", path, tenant["token"]).body["items"]) == 1  # admin
    _other_coach, other_token = api.add_staff(tenant["token"])
    assert api.call("plans", "GET", path, other_token).status == 404
    _org, stranger = api.new_tenant("Other Org")
    refused = api.call("plans", "GET", path, stranger)
    assert refused.status == 404 and "Feeling" not in str(refused.body)
    assert api.call("plans", "GET", path).status == 401
    bad = api.call("plans", "GET", f"{path}?cursor=nonsense", coach_token)
    assert bad.status == 400 and "cursor" in bad.body["errors"]


def test_the_coach_sees_the_phone_confirmed_by_the_first_reply_and_unconfirmed_once_changed(
    api, tenant, system, clock
):
    coach, coach_token, client, plan = _client_with_coach(api, tenant, system)
    system.settle()

    def shown() -> tuple[bool, bool]:
        """In intake's client view, and on the coach's caseload."""
        view = api.call("intake", "GET", f"/v1/clients/{client['id']}", coach_token)
        [row] = api.call("plans", "GET", "/v1/caseload", coach_token).body["items"]
        return view.body["phone_confirmed"], row["phone_confirmed"]

    assert shown() == (False, False)
    text_in(system, "7")
    system.settle()
    assert shown() == (True, True)

    view = api.call("intake", "GET", f"/v1/clients/{client['id']}", coach_token)
    changed = api.call(
        "intake",
        "PATCH",
        f"/v1/clients/{client['id']}",
        coach_token,
        json={"phone": "0400 111 222"},
        headers={"If-Match": view.headers["ETag"]},
    )
    assert changed.status == 200, changed.body
    system.settle()
    assert shown() == (False, False)


def test_a_reply_held_for_a_retry_in_plans_loses_its_words_when_the_client_is_erased(
    system, monkeypatch
):
    tenant = uuid.uuid4()
    client_id = onboard(system, tenant, uuid.uuid4())["client_id"]
    monkeypatch.setattr(journal, "record_reply", _fails)
    envelope = new_envelope(
        "client.replied",
        tenant,
        builders.client_replied(
            client_id, NOON, "journal", channel="sms", text="Walked by the river at dawn"
        ),
        producer="notifications",
        occurred_at=system.runtimes["notifications"].now(),
    )
    outcome = system.processors["plans"].process(json.dumps(envelope).encode(), {})
    assert outcome == Disposition.RETRY_SCHEDULED

    def words_held() -> list[str]:
        return [t for t, _c, text in text_values(system, "plans") if "river at dawn" in text]

    assert words_held() == ["outbox"]
    monkeypatch.undo()
    deliver(system, "client.erased", tenant, {"client_id": client_id})
    assert words_held() == []


def _fails(*_args, **_kwargs):
    raise RuntimeError("a passing fault")
