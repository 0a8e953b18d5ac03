"""Mood prompts: a self check-in at the local time on the days the coach chose, across
daylight-saving changes, moved or stopped as the setting changes, under every usual rule."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coaching.registry import producers
from services.notifications.digest.recurring import LocalSchedule, day_key, next_local_moment
from shared.events import new_envelope

SYDNEY = ZoneInfo("Australia/Sydney")
LONDON = ZoneInfo("Europe/London")
SUBJECT = "How are you feeling today?"


def utc(text: str, tz: ZoneInfo = SYDNEY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


def _set(n, tenant, client, weekdays, local_time, plan_id=None) -> dict:
    return n.event(
        "plan.mood_prompts_set",
        tenant,
        {
            "plan_id": plan_id or uuid.uuid4(),
            "client_id": client,
            "weekdays": weekdays,
            "local_time": local_time,
        },
    )


def _prompts(n, client, state: str | None = None):
    return [p for p in n.nudges(client, "mood_prompt") if state is None or p.state == state]


def _prompt_emails(smtp) -> list:
    return [m for m in smtp.messages if m["Subject"] == SUBJECT]


# -- when they go (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "tz", "weekdays", "expected_local", "utc_offset_hours"),
    [
        # Sydney: clocks go back at 03:00 on Sunday 5 April 2026 (+11 -> +10).
        ("2026-04-02T18:00", SYDNEY, ("mon", "thu"), "2026-04-06T18:00", 10),
        ("2026-03-30T18:00", SYDNEY, ("mon", "thu"), "2026-04-02T18:00", 11),
        ("2026-04-02T17:59", SYDNEY, ("thu", "mon"), "2026-04-02T18:00", 11),
        # London: clocks go forward on Sunday 29 March 2026 (+0 -> +1).
        ("2026-03-28T19:00", LONDON, ("sat", "sun"), "2026-03-29T18:00", 1),
    ],
)
def test_a_prompt_keeps_its_local_time_on_the_chosen_days_across_daylight_saving(
    after, tz, weekdays, expected_local, utc_offset_hours
):
    moment = next_local_moment(utc(after, tz), str(tz), LocalSchedule(weekdays, "18:00"))
    local = moment.astimezone(tz)
    assert local.replace(tzinfo=None).isoformat(timespec="minutes") == expected_local
    assert local.utcoffset() == timedelta(hours=utc_offset_hours)


def test_the_occurrence_key_is_the_clients_local_day():
    # 18:00 on Monday 6 April in Sydney is 08:00 UTC the same day; 23:30 is 13:30 UTC.
    assert day_key(utc("2026-04-06T18:00"), "Australia/Sydney") == "day:2026-04-06"
    # 08:00 on Tuesday in Sydney is still Monday in UTC: the key is the client's day.
    assert day_key(utc("2026-04-07T08:00"), "Australia/Sydney") == "day:2026-04-07"


# -- sent at the local time ------------------------------------------------------------------


def test_prompts_go_at_six_local_on_the_chosen_days_across_the_change(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-03-30T19:00"))  # Monday evening, AEDT (+11)
    client = n.onboard(tenant)
    n.dispatch()  # the welcome
    _set(n, tenant, client, ["mon", "thu"], "18:00")
    [thursday] = _prompts(n, client)
    assert (thursday.occurrence_key, thursday.due_at) == ("day:2026-04-02", utc("2026-04-02T18:00"))

    n.clock.set(thursday.due_at - timedelta(minutes=1))
    n.dispatch()
    assert _prompt_emails(smtp) == []
    n.clock.set(thursday.due_at)
    n.dispatch()
    [email] = _prompt_emails(smtp)
    text = email.get_body(("plain",)).get_content()
    assert "How are you feeling today, from 1 to 10?" in text
    assert "Warm regards," in text

    # The following Monday, after the clocks went back: 18:00 AEST is 08:00 UTC.
    [monday] = _prompts(n, client, "scheduled")
    assert monday.occurrence_key == "day:2026-04-06"
    assert monday.due_at == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
    n.clock.set(monday.due_at)
    n.dispatch()
    sent = [p for p in _prompts(n, client, "sent")]
    assert [p.occurrence_key for p in sent] == ["day:2026-04-02", "day:2026-04-06"]
    for prompt in sent:
        local = prompt.sent_at.astimezone(SYDNEY)
        assert (local.hour, local.minute) == (18, 0)
    assert [p.occurrence_key for p in _prompts(n, client, "scheduled")] == ["day:2026-04-09"]


def test_an_sms_prompt_says_the_design_wording(notifications_with_sms, httpserver):
    from urllib.parse import parse_qs

    from werkzeug import Response

    n = notifications_with_sms
    httpserver.expect_request(
        "/2010-04-01/Accounts/AC0123456789/Messages.json", method="POST"
    ).respond_with_handler(
        lambda request: Response('{"sid": "SM1"}', status=201, content_type="application/json")
    )
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    client = n.onboard(tenant, email=None, consent={"email": False, "sms": True})
    n.dispatch()
    _set(n, tenant, client, ["mon"], "18:00")
    n.clock.set(utc("2026-07-06T18:00"))
    n.dispatch()
    bodies = [parse_qs(req.get_data(as_text=True))["Body"][0] for req, _ in httpserver.log]
    assert bodies[-1] == (
        "your coaching service: Hi Jo. How are you feeling today, from 1 to 10? Reply with a number. "
        "Reply STOP to opt out."
    )
    [sent] = _prompts(n, client, "sent")
    assert sent.channel == "sms"


# -- moved and stopped ------------------------------------------------------------------------


def test_a_new_setting_moves_the_pending_prompt_and_null_stops_it(notifications):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))  # Monday
    client = n.onboard(tenant)
    assert _prompts(n, client) == []  # none until the coach asks

    _set(n, tenant, client, ["mon", "thu"], "18:00")
    [monday] = _prompts(n, client)
    assert monday.due_at == utc("2026-07-06T18:00")

    # Later the same day: the day's one prompt moves.
    _set(n, tenant, client, ["mon"], "20:00")
    [moved] = _prompts(n, client)
    assert (moved.id, moved.state, moved.due_at) == (
        monday.id,
        "scheduled",
        utc("2026-07-06T20:00"),
    )

    # Another day: today's is cancelled, the next is pending.
    _set(n, tenant, client, ["wed"], "09:30")
    assert [(p.occurrence_key, p.state, p.reason) for p in _prompts(n, client)] == [
        ("day:2026-07-06", "cancelled", "rescheduled"),
        ("day:2026-07-08", "scheduled", None),
    ]

    # null (the coach stopped them, or the plan was completed): none pending, none sent.
    _set(n, tenant, client, None, None)
    assert _prompts(n, client, "scheduled") == []
    assert _prompts(n, client)[-1].reason == "mood_prompts_off"
    n.clock.set(utc("2026-07-20T09:00"))
    n.dispatch()
    assert _prompts(n, client, "sent") == []


def test_a_late_older_setting_does_not_undo_a_newer_one(notifications):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    client = n.onboard(tenant)
    older = {
        "plan_id": uuid.uuid4(),
        "client_id": client,
        "weekdays": ["fri"],
        "local_time": "07:00",
    }
    n.clock.set(utc("2026-07-06T10:00"))
    _set(n, tenant, client, None, None)  # the newer word: stop
    envelope = new_envelope(
        "plan.mood_prompts_set",
        tenant,
        older,
        producer=producers()["plan.mood_prompts_set"],
        occurred_at=utc("2026-07-06T09:30"),
    )
    n.processor.process(json.dumps(envelope).encode(), {})
    assert _prompts(n, client) == []


def test_a_client_who_moves_timezone_is_prompted_at_six_where_they_now_live(notifications):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    client = n.onboard(tenant)
    _set(n, tenant, client, ["tue"], "18:00")
    [pending] = _prompts(n, client)
    assert pending.due_at == utc("2026-07-07T18:00")
    n.update(tenant, client, ["timezone"], timezone="Europe/London")
    [moved] = _prompts(n, client)
    assert (moved.id, moved.state) == (pending.id, "scheduled")
    assert moved.due_at == utc("2026-07-07T18:00", LONDON)


def test_discharge_and_erasure_stop_the_prompts_for_good(notifications):
    n = notifications
    tenant = uuid.uuid4()
    n.clock.set(utc("2026-07-06T09:00"))
    discharged, erased = n.onboard(tenant), n.onboard(tenant)
    for client in (discharged, erased):
        _set(n, tenant, client, ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "18:00")
    n.event(
        "client.discharged",
        tenant,
        {"client_id": discharged, "reason": "completed", "discharged_at": n.clock()},
    )
    n.event("client.erased", tenant, {"client_id": erased})
    _set(n, tenant, erased, ["mon"], "18:00")  # a late event brings nothing back
    assert [(p.state, p.reason) for p in _prompts(n, discharged)] == [
        ("cancelled", "client_discharged")
    ]
    assert [(p.state, p.reason) for p in _prompts(n, erased)] == [("cancelled", "client_erased")]

    # Onboarded again later: the old plan's prompts do not come back with them.
    n.clock.set(utc("2026-07-10T09:00"))
    n.onboard(tenant, client_id=discharged)
    n.clock.set(utc("2026-07-12T09:00"))
    n.dispatch()
    assert _prompts(n, discharged, "scheduled") == _prompts(n, discharged, "sent") == []


# -- the usual rules ----------------------------------------------------------------------------


def test_consent_quiet_hours_cap_and_pause_apply_and_a_late_prompt_expires(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    admin = n.token(tenant)
    n.clock.set(utc("2026-07-06T09:00"))  # Monday
    no_consent = n.onboard(tenant, consent={"email": False, "sms": False})
    night = n.onboard(tenant)
    capped = n.onboard(tenant)
    paused = n.onboard(tenant)
    n.dispatch()  # the welcomes
    for client, body in (
        (capped, {"daily_cap": 1}),
        (paused, {"paused_until": utc("2026-07-07T19:30").isoformat()}),
    ):
        reply = n.call("PUT", f"/v1/clients/{client}/preferences", admin, json=body)
        assert reply.status_code == 200
    for client in (no_consent, capped, paused):
        _set(n, tenant, client, ["tue"], "18:00")
    _set(n, tenant, night, ["tue"], "22:00")  # inside the default quiet hours (21:00-08:00)

    n.clock.set(utc("2026-07-07T12:00"))
    n.event(
        "goal.achieved",
        tenant,
        {
            "goal_id": uuid.uuid4(),
            "plan_id": uuid.uuid4(),
            "client_id": capped,
            "title": "Walk daily",
            "domain": "physical_health",
        },
    )
    n.dispatch()  # the capped client's one message of the day
    n.clock.set(utc("2026-07-07T18:00"))
    n.dispatch()

    def tuesday(client):
        [prompt] = [p for p in _prompts(n, client) if p.occurrence_key == "day:2026-07-07"]
        return prompt.state, prompt.reason

    assert tuesday(no_consent) == ("suppressed", "no_consent")
    # The cap defers to tomorrow morning, far past the three hours a prompt is worth.
    assert tuesday(capped) == ("expired", "moment_passed:daily_cap")
    assert tuesday(paused) == ("deferred", "paused")
    n.clock.set(utc("2026-07-07T19:30"))  # an hour and a half late: still worth asking
    n.dispatch()
    assert tuesday(paused) == ("sent", None)

    n.clock.set(utc("2026-07-07T22:00"))
    n.dispatch()
    assert tuesday(night) == ("expired", "moment_passed:quiet_hours")
    assert len(_prompt_emails(smtp)) == 1
    # Each gives way to next Tuesday's.
    for client in (no_consent, night, capped, paused):
        assert [p.occurrence_key for p in _prompts(n, client, "scheduled")] == ["day:2026-07-14"]
