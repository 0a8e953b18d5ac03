"""Supporters (trusted contacts): invited, confirmed by YES or their link, alerted once
when the client's self check-in goes unanswered (after the plan's windows), told "all
clear" when the client answers, never again once removed; the crisis scope only with its
own consent; every message in the disclosure log; each organisation and coach sees only
their own clients' supporters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from werkzeug import Response

INBOUND = "/v1/webhooks/sms/inbound"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
CLIENT_PHONE = "+61412345678"
SUPPORTER_PHONE = "+61411222333"
# Monday 6 July 2026, 09:00 in Sydney (AEST, UTC+10); the prompt goes at 10:00.
MONDAY_9AM = datetime(2026, 7, 5, 23, 0, tzinfo=UTC)
PROMPT_AT = MONDAY_9AM + timedelta(hours=1)
ALERT_TEXT = "Jo hasn't replied to today's check-in. You might want to get in touch."


@pytest.fixture
def provider(httpserver):
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return httpserver


def _texts(httpserver, to: str | None = None) -> list[str]:
    sent = []
    for request, _ in httpserver.log:
        form = parse_qs(request.get_data(as_text=True))
        if to is None or form["To"][0] == to:
            sent.append(form["Body"][0])
    return sent


def _text(n, body: str, number: str):
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": number,
        "To": "+61400000000",
        "Body": body,
    }
    reply = n.provider_post(INBOUND, form)
    assert reply.status_code == 200


class Setting:
    def __init__(self, n):
        self.n = n
        self.tenant = uuid.uuid4()
        n.clock.set(MONDAY_9AM)
        self.coach = n.staff(self.tenant, organisation_name="Harbour Recovery")
        self.client = n.onboard(self.tenant, coach_id=self.coach, phone=CLIENT_PHONE)
        self.token = n.token(self.tenant, "coach", self.coach)
        n.dispatch()  # the welcome

    def add(self, scopes=("missed_checkins",), expect=201, **body):
        answer = self.n.call(
            "POST",
            f"/v1/clients/{self.client}/supporters",
            self.token,
            json={
                "name": "Sam Rivers",
                "relationship": "sister",
                "phone": SUPPORTER_PHONE,
                "scopes": list(scopes),
                "consent": {"method": "verbal"},
            }
            | body,
        )
        assert answer.status_code == expect, answer.json
        return answer.json

    def supporters(self):
        answer = self.n.call("GET", f"/v1/clients/{self.client}/supporters", self.token)
        assert answer.status_code == 200
        return answer.json["items"]

    def prompts(self, local_time="10:00"):
        self.n.event(
            "plan.mood_prompts_set",
            self.tenant,
            {
                "plan_id": uuid.uuid4(),
                "client_id": self.client,
                "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "local_time": local_time,
            },
        )

    def at(self, moment):
        self.n.clock.set(moment)
        self.n.dispatch()


def _confirmed(s: Setting, provider, **add):
    supporter = s.add(**add)
    s.n.dispatch()
    s.n.clock.advance(minutes=1)  # the log's order is the order of its moments
    _text(s.n, "YES", add.get("phone", SUPPORTER_PHONE))
    s.n.dispatch()
    return supporter


def test_an_invited_supporter_gets_the_invitation_and_no_alert_before_confirming(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    supporter = s.add()
    assert supporter["state"] == "invited"
    assert supporter["consent"]["method"] == "verbal"
    assert supporter["consent"]["recorded_by"] == str(s.coach)
    s.n.dispatch()
    [invite] = _texts(provider, SUPPORTER_PHONE)
    assert invite.startswith("Jo would like you as a supporter with Harbour Recovery")
    assert "Reply YES" in invite and "https://notify.harbour.example/supporters/" in invite

    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(hours=5))
    assert _texts(provider, SUPPORTER_PHONE) == [invite]
    [invited] = s.n.published_data("supporter.invited")
    assert set(invited) == {"supporter_id", "client_id", "scopes", "at"}


def test_a_confirmed_supporter_is_alerted_once_after_the_grace_and_all_clear_follows(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    [supporter] = s.supporters()
    assert supporter["state"] == "active" and supporter["confirmed_at"]
    assert len(s.n.published_data("supporter.confirmed")) == 1
    texts_before = len(_texts(provider, SUPPORTER_PHONE))  # invitation, thanks

    s.prompts()
    s.at(PROMPT_AT)
    [prompt] = [p for p in s.n.nudges(s.client, "mood_prompt") if p.state == "sent"]
    s.at(PROMPT_AT + timedelta(minutes=30))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state == "sent"
    s.at(PROMPT_AT + timedelta(minutes=119))
    assert len(_texts(provider, SUPPORTER_PHONE)) == texts_before
    s.at(PROMPT_AT + timedelta(minutes=120))
    s.at(PROMPT_AT + timedelta(minutes=180))
    alerts = _texts(provider, SUPPORTER_PHONE)[texts_before:]
    assert len(alerts) == 1
    assert alerts[0].startswith(ALERT_TEXT + " https://notify.harbour.example/supporters/")
    assert len(s.n.published_data("supporter.alerted")) == 1

    _text(s.n, "7", CLIENT_PHONE)
    s.n.dispatch()
    _text(s.n, "8", CLIENT_PHONE)
    s.n.dispatch()
    after = _texts(provider, SUPPORTER_PHONE)[texts_before + 1 :]
    assert len(after) == 1 and after[0].startswith("All clear: Jo has replied")
    assert len(s.n.published_data("supporter.all_clear")) == 1


def test_an_answer_before_the_window_cancels_the_reminder_and_the_alert(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    texts_before = len(_texts(provider, SUPPORTER_PHONE))
    s.prompts()
    s.at(PROMPT_AT)
    _text(s.n, "6", CLIENT_PHONE)
    s.at(PROMPT_AT + timedelta(hours=4))
    assert _texts(provider, SUPPORTER_PHONE)[texts_before:] == []
    assert s.n.nudge(s.client, "mood_prompt_reminder").state == "cancelled"


@pytest.mark.parametrize("how", ["stop", "removed", "link"])
def test_a_supporter_who_left_or_was_removed_is_never_alerted_again(
    notifications_with_sms, provider, how
):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider)
    if how == "stop":
        _text(s.n, "STOP", SUPPORTER_PHONE)
    elif how == "removed":
        answer = s.n.call("DELETE", f"/v1/clients/{s.client}/supporters/{supporter['id']}", s.token)
        assert answer.status_code == 204
    else:
        from services.notifications.supporters.tokens import token_for

        token = token_for(s.n.settings.jwt_secret, s.tenant, supporter["id"], s.n.clock())
        assert s.n.http.post(f"/supporters/{token}", data={"action": "leave"}).status_code == 200
    s.n.dispatch()
    texts_before = len(_texts(provider, SUPPORTER_PHONE))
    [listed] = s.supporters()
    assert listed["state"] == "removed"
    s.prompts()
    for hours in (1, 3, 6, 25, 27, 30):
        s.at(MONDAY_9AM + timedelta(hours=hours))
    assert _texts(provider, SUPPORTER_PHONE)[texts_before:] == []
    assert len(s.n.published_data("supporter.removed")) == 1


def test_the_link_shows_without_changing_anything_and_its_post_confirms(
    notifications_with_sms, provider
):
    from services.notifications.supporters.tokens import token_for

    s = Setting(notifications_with_sms)
    supporter = s.add(phone=None, email="sam@example.org")
    token = token_for(s.n.settings.jwt_secret, s.tenant, supporter["id"], s.n.clock())
    page = s.n.http.get(f"/supporters/{token}")
    assert page.status_code == 200 and "Will you be a supporter?" in page.get_data(as_text=True)
    assert "Rivers" not in page.get_data(as_text=True)
    assert s.supporters()[0]["state"] == "invited"
    assert s.n.http.post(f"/supporters/{token}", data={"action": "confirm"}).status_code == 200
    assert s.supporters()[0]["state"] == "active"
    assert s.n.http.get("/supporters/not-a-token").status_code == 404


def test_the_crisis_scope_without_its_own_consent_tells_the_supporter_nothing(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider, scopes=["crisis", "missed_checkins"])
    assert supporter["crisis_consent"] is None
    assert s.supporters()[0]["state"] == "active"
    before = len(_texts(provider, SUPPORTER_PHONE))
    s.n.clock.set(datetime(2026, 7, 6, 17, 0, tzinfo=UTC))  # 03:00 in Sydney
    _text(s.n, "I want to kill myself", CLIENT_PHONE)
    s.n.dispatch()
    assert len(_texts(provider, SUPPORTER_PHONE)) == before
    assert [d for d in _disclosures(s) if d["kind"] == "supporter_crisis"] == []


def test_a_crisis_reaches_only_supporters_with_the_crisis_scope_and_its_consent_at_any_hour(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    other_phone = "+61411999888"
    _confirmed(s, provider, scopes=["missed_checkins"])
    _confirmed(s, provider, scopes=["crisis"], phone=other_phone, crisis_consent={"method": "form"})
    s.n.clock.set(datetime(2026, 7, 6, 17, 0, tzinfo=UTC))  # 03:00 in Sydney
    before = len(_texts(provider, SUPPORTER_PHONE))
    _text(s.n, "I want to kill myself", CLIENT_PHONE)
    s.n.dispatch()
    assert len(_texts(provider, SUPPORTER_PHONE)) == before
    crisis = _texts(provider, other_phone)[-1]
    assert crisis.startswith("Jo may need support right now.")
    assert "kill" not in crisis
    [logged] = [d for d in _disclosures(s) if d["kind"] == "supporter_crisis"]
    assert logged["consent"]["crisis"]["method"] == "form"


def _disclosures(s: Setting):
    answer = s.n.call("GET", f"/v1/clients/{s.client}/disclosures", s.token)
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def test_the_alert_says_nothing_of_the_plan_journal_or_scores(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    s.prompts()
    s.at(PROMPT_AT)
    _text(s.n, "2 feeling awful about the methadone programme", CLIENT_PHONE)
    s.at(PROMPT_AT + timedelta(minutes=10))
    s.at(PROMPT_AT + timedelta(days=1))  # Tuesday's prompt, missed
    s.at(PROMPT_AT + timedelta(days=1, minutes=120))
    [alert] = [d for d in _disclosures(s) if d["kind"] == "supporter_alert"]
    assert alert["text"] == ALERT_TEXT
    body = _texts(provider, SUPPORTER_PHONE)[-1]
    assert body.split(" https://")[0] == ALERT_TEXT
    for word in ("2", "methadone", "programme", "awful", "Jordan", "Rivers"):
        assert word not in body.split(" https://")[0]


def test_the_disclosure_log_lists_every_message_with_its_consent(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider)
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=120))
    s.n.clock.advance(minutes=5)
    _text(s.n, "7", CLIENT_PHONE)
    s.n.dispatch()
    logged = _disclosures(s)
    assert [d["kind"] for d in logged] == [
        "supporter_invite",
        "supporter_confirmed_ack",
        "supporter_alert",
        "supporter_all_clear",
    ]
    for entry in logged:
        assert entry["supporter_id"] == supporter["id"]
        assert entry["to"] == SUPPORTER_PHONE and entry["channel"] == "sms"
        assert entry["consent"]["method"] == "verbal"
        assert entry["consent"]["recorded_by"] == str(s.coach)
    assert logged[2]["scope"] == "missed_checkins"


def test_supporters_are_told_only_after_n_missed_in_a_row(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    s.n.event(
        "plan.escalation_set",
        s.tenant,
        {
            "plan_id": uuid.uuid4(),
            "client_id": s.client,
            "client_reminder_after_minutes": 5,
            "supporters_after_missed": 2,
            "supporters_after_minutes": 10,
        },
    )
    texts_before = len(_texts(provider, SUPPORTER_PHONE))
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=5))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state == "sent"
    s.at(PROMPT_AT + timedelta(minutes=60))
    assert _texts(provider, SUPPORTER_PHONE)[texts_before:] == []
    s.at(PROMPT_AT + timedelta(days=1))
    s.at(PROMPT_AT + timedelta(days=1, minutes=9))
    assert _texts(provider, SUPPORTER_PHONE)[texts_before:] == []
    s.at(PROMPT_AT + timedelta(days=1, minutes=10))
    assert [t.split(" https://")[0] for t in _texts(provider, SUPPORTER_PHONE)[texts_before:]] == [
        ALERT_TEXT
    ]


def test_quiet_hours_of_the_supporters_timezone_hold_the_alert(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    _confirmed(s, provider, timezone="Europe/London")  # 10:00 Sydney is 01:00 in London
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=120))
    assert not [t for t in _texts(provider, SUPPORTER_PHONE) if t.startswith(ALERT_TEXT)]
    s.at(datetime(2026, 7, 6, 7, 0, tzinfo=UTC))  # 08:00 in London
    alerts = [t for t in _texts(provider, SUPPORTER_PHONE) if t.startswith(ALERT_TEXT)]
    assert len(alerts) == 1


def test_discharge_stops_every_alert(notifications_with_sms, provider):
    from tests.support import builders

    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    texts_before = len(_texts(provider, SUPPORTER_PHONE))
    s.prompts()
    s.at(PROMPT_AT)
    s.n.event(
        "client.discharged",
        s.tenant,
        builders.client_discharged(s.client, s.n.clock()),
    )
    s.at(PROMPT_AT + timedelta(hours=3))
    assert _texts(provider, SUPPORTER_PHONE)[texts_before:] == []


def test_erasure_removes_the_supporters_and_the_logs_personal_data(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    s.n.event("client.erased", s.tenant, {"client_id": s.client})
    admin = s.n.token(s.tenant)
    answer = s.n.call("GET", f"/v1/clients/{s.client}/supporters", admin)
    assert answer.status_code == 200 and answer.json["items"] == []
    logged = s.n.call("GET", f"/v1/clients/{s.client}/disclosures", admin).json["items"]
    assert logged and all(
        d["to"] is None and d["text"] is None and d["supporter_name"] is None for d in logged
    )


def test_at_most_five_supporters(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    for i in range(5):
        s.add(phone=f"+6141122200{i}")
    s.add(phone="+61411222009", expect=409)


def test_other_coaches_and_organisations_see_nothing(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    supporter = s.add()
    other_coach = s.n.token(s.tenant, "coach", uuid.uuid4())
    other_org = s.n.token(uuid.uuid4())
    for token in (other_coach, other_org):
        base = f"/v1/clients/{s.client}"
        assert s.n.call("GET", f"{base}/supporters", token).status_code == 404
        assert s.n.call("GET", f"{base}/disclosures", token).status_code == 404
        assert s.n.call("DELETE", f"{base}/supporters/{supporter['id']}", token).status_code == 404
        added = s.n.call(
            "POST",
            f"{base}/supporters",
            token,
            json={
                "name": "X",
                "phone": "+61411222444",
                "scopes": ["celebrations"],
                "consent": {"method": "form"},
            },
        )
        assert added.status_code == 404
    assert s.supporters()[0]["state"] == "invited"


def test_bad_input_is_a_422_naming_the_field(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    for body, field in (
        ({"phone": "0411 222 333"}, "phone"),
        ({"scopes": ["everything"]}, "scopes"),
        ({"name": "x" * 101}, "name"),
        ({"phone": None}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ):
        refused = s.add(expect=422, **body)
        assert field in refused["errors"], (body, refused)


def test_no_organisation_may_override_what_a_supporter_is_told(notifications_with_sms):
    n = notifications_with_sms
    admin = n.token(uuid.uuid4())
    answer = n.call("GET", "/v1/templates/supporter_alert/sms", admin)
    assert answer.status_code == 404
    answer = n.call("PUT", "/v1/templates/supporter_alert/sms", admin, json={"text": "{{ name }}"})
    assert answer.status_code == 404


# -- the client's own page ---------------------------------------------------------------------


def _page_token(s: Setting) -> str:
    from services.notifications.client_web import links as client_links
    from services.notifications.models import Contact

    with s.n.runtime.session_factory() as session:
        email = session.get(Contact, (s.tenant, s.client)).email
    return client_links.page_token(
        s.n.settings.jwt_secret, s.n.clock(), s.tenant, s.client, email=email
    )


def test_the_client_adds_and_removes_a_supporter_on_their_own_page(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    token = _page_token(s)
    page = s.n.http.get(f"/me/{token}")
    assert f"/me/{token}/supporters" in page.get_data(as_text=True)
    mine = s.n.http.get(f"/me/{token}/supporters")
    assert mine.status_code == 200 and "<script" not in mine.get_data(as_text=True)
    form = {
        "form_id": str(uuid.uuid4()),
        "name": "Sam Rivers",
        "phone": SUPPORTER_PHONE,
        "scopes": ["missed_checkins", "crisis"],
        "crisis_consent": "yes",
    }
    added = s.n.http.post(f"/me/{token}/supporters", data=form)
    assert added.status_code == 303
    again = s.n.http.post(f"/me/{token}/supporters", data=form)  # sent twice: one supporter
    assert again.status_code == 303
    [supporter] = s.supporters()
    assert supporter["state"] == "invited"
    assert supporter["consent"] == {
        "method": "client_page",
        "recorded_by": None,
        "at": supporter["consent"]["at"],
    }
    assert supporter["crisis_consent"]["method"] == "client_page"
    assert "Sam Rivers" in s.n.http.get(f"/me/{token}/supporters").get_data(as_text=True)
    removed = s.n.http.post(f"/me/{token}/supporters/{supporter['id']}/remove")
    assert removed.status_code == 303
    [supporter] = s.supporters()
    assert supporter["state"] == "removed" and supporter["removed_by"] == "client"


def test_the_crisis_scope_on_the_page_needs_its_own_tick(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    token = _page_token(s)
    refused = s.n.http.post(
        f"/me/{token}/supporters",
        data={
            "form_id": str(uuid.uuid4()),
            "name": "Sam",
            "phone": SUPPORTER_PHONE,
            "scopes": ["crisis"],
        },
    )
    assert refused.status_code == 422
    assert s.supporters() == []


def test_the_page_of_another_client_or_a_bad_link_changes_nothing(notifications_with_sms, provider):
    s = Setting(notifications_with_sms)
    supporter = s.add()
    other = Setting(notifications_with_sms)
    token = _page_token(other)
    assert s.n.http.post(f"/me/{token}/supporters/{supporter['id']}/remove").status_code == 404
    assert s.n.http.get("/me/not-a-token/supporters").status_code in (400, 404, 410)
    assert s.supporters()[0]["state"] == "invited"


def test_every_message_to_a_supporter_goes_by_email_too_in_its_fixed_words(
    notifications_with_sms, provider, smtp
):
    from services.notifications.supporters.tokens import token_for

    s = Setting(notifications_with_sms)
    address = "sam.rivers@example.org"
    supporter = s.add(
        phone=None,
        email=address,
        scopes=["missed_checkins", "crisis"],
        crisis_consent={"method": "verbal"},
    )
    s.n.dispatch()
    link = token_for(s.n.settings.jwt_secret, s.tenant, supporter["id"], s.n.clock())
    assert s.n.http.post(f"/supporters/{link}", data={"action": "confirm"}).status_code == 200
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=120))
    _text(s.n, "7", CLIENT_PHONE)
    s.n.dispatch()
    _text(s.n, "I want to kill myself", CLIENT_PHONE)
    s.n.dispatch()
    assert s.n.http.post(f"/supporters/{link}", data={"action": "leave"}).status_code == 200
    s.n.dispatch()

    to_supporter = [m for m in smtp.messages if m["To"] == address]
    plains = [m.get_body(("plain",)).get_content().replace("\r\n", "\n") for m in to_supporter]
    assert [p.split("\n")[0] for p in plains] == [
        "Jo would like you as a supporter with Harbour Recovery: you would get a short message "
        "if they miss a check-in. Follow the link to agree or to decline.",
        "Thank you: you are now one of Jo's supporters. Follow the link to leave at any time.",
        ALERT_TEXT,
        "All clear: Jo has replied to today's check-in. Thank you.",
        "Jo may need support right now. Please get in touch with them if you can. If you "
        "think they are in danger, call emergency services.",
        "You are no longer one of Jo's supporters. You will get no more messages.",
    ]
    for message, plain in zip(to_supporter, plains, strict=True):
        assert "Warm regards,\nHarbour Recovery" in plain
        assert "https://notify.harbour.example/supporters/" in plain
        assert "unsubscribe" not in plain.lower() and "/me/" not in plain
        assert "List-Unsubscribe" not in message
    sent = [n for n in s.n.nudges(s.client) if n.kind.startswith("supporter_")]
    assert {(n.kind, n.channel, n.state, n.reason) for n in sent} == {
        (kind, "email", "sent", None)
        for kind in (
            "supporter_invite",
            "supporter_confirmed_ack",
            "supporter_alert",
            "supporter_all_clear",
            "supporter_crisis",
            "supporter_left_ack",
        )
    }


def test_a_goal_achieved_tells_supporters_with_celebrations_never_which_goal(
    notifications_with_sms, provider
):
    s = Setting(notifications_with_sms)
    celebrating = "+61411555666"
    _confirmed(s, provider, scopes=["celebrations"], phone=celebrating)
    _confirmed(s, provider)  # missed check-ins only
    before = len(_texts(provider, SUPPORTER_PHONE))
    goal = {
        "goal_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": s.client,
        "title": "Stay off methadone for a month",
        "domain": "substance_use",
    }
    s.n.event("goal.achieved", s.tenant, goal)
    s.n.event("goal.achieved", s.tenant, goal | {"title": "Same goal, told again"})
    s.n.dispatch()
    told = [t for t in _texts(provider, celebrating) if "goals" in t]
    assert [t.split(" https://")[0] for t in told] == [
        "Jo has reached one of their goals. You might want to congratulate them."
    ]
    assert len(_texts(provider, SUPPORTER_PHONE)) == before


def test_two_dispatchers_at_once_send_one_alert(notifications_with_sms, provider):
    from concurrent.futures import ThreadPoolExecutor

    from services.notifications.channels import channels_from_settings
    from services.notifications.dispatcher import Dispatcher

    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    s.prompts()
    second = Dispatcher(s.n.runtime, channels_from_settings(s.n.settings))
    try:
        for moment in (PROMPT_AT, PROMPT_AT + timedelta(minutes=120)):
            s.n.clock.set(moment)
            for _ in range(3):
                with ThreadPoolExecutor(2) as pool:
                    runs = [pool.submit(d.run_once) for d in (s.n.dispatcher, second)]
                    [run.result() for run in runs]
    finally:
        second.close()
    alerts = [t for t in _texts(provider, SUPPORTER_PHONE) if t.startswith(ALERT_TEXT)]
    assert len(alerts) == 1
    assert len(s.n.published_data("supporter.alerted")) == 1
    assert [d["kind"] for d in _disclosures(s)].count("supporter_alert") == 1
