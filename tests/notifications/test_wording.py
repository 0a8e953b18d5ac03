"""Every kind of message on every channel, from the payload its producer builds, through
the real handler, dispatcher and channels: no variable is ever left empty, and an email
names the organisation that sends it."""

from __future__ import annotations

import email.policy
import re
import uuid
from datetime import date, timedelta
from email import message_from_bytes
from types import SimpleNamespace
from urllib.parse import parse_qs

from werkzeug import Response

from services.notifications.channels.base import OutgoingMessage
from services.notifications.channels.email import email_bytes
from services.notifications.wording.kinds import KINDS
from services.plans import actions, checkins, mood_prompts
from services.plans.lifecycle import activated_payload, goal_payload, lifecycle_payload
from services.plans.models import ActionOccurrence, ActionStep, CheckIn, Goal, RecoveryPlan

SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
INBOUND = "/v1/webhooks/sms/inbound"
ORGANISATION = "Harbour Recovery Services"
TIMEZONE = "Australia/Sydney"
# What an empty variable leaves in the default wording: "Hi ,", "with  goals", "(, 45".
GAP = re.compile(r"(?m)  |[ (][,.!?)]|\( |: ,|^[,.!?]")


class PlansUnitOfWork:
    """Stands in for plans' unit of work and its session: keeps what plans publishes,
    drops its rows, and finds nothing (no other check-in, no earlier flag)."""

    def __init__(self, now=None):
        self.published: list[tuple[str, dict]] = []
        self.session = self
        self.clock = lambda: now

    def add(self, row) -> None:
        pass

    def flush(self) -> None:
        pass

    def execute(self, statement) -> None:
        pass

    def scalar(self, statement):
        return None

    def scalars(self, statement):
        return SimpleNamespace(first=lambda: None)

    def publish(self, event_type, tenant_id, data, aggregate_id=None) -> None:
        self.published.append((event_type, data))


def _plan(tenant, client, coach) -> RecoveryPlan:
    plan = RecoveryPlan(
        id=uuid.uuid4(),
        tenant_id=tenant,
        client_id=client,
        coach_id=coach,
        status="active",
        timezone=TIMEZONE,
        review_due_on=date(2026, 9, 23),
    )
    plan.goals = [
        Goal(
            id=uuid.uuid4(),
            tenant_id=tenant,
            plan_id=plan.id,
            position=position,
            title=title,
            domain=domain,
            status=status,
        )
        for position, (title, domain, status) in enumerate(
            [
                ("Join a community garden group", "social_connection", "active"),
                ("Start a TAFE course", "work_study", "proposed"),
                ("Move interstate", "housing", "cancelled"),
            ]
        )
    ]
    return plan


def _plans_events(tenant, client, coach, now) -> list[tuple[str, dict]]:
    """The events plans sends about one client, built by plans' own code."""
    plan = _plan(tenant, client, coach)
    garden = plan.goals[0]
    step = ActionStep(
        id=uuid.uuid4(),
        tenant_id=tenant,
        plan_id=plan.id,
        goal_id=garden.id,
        title="Walk to the community garden",
        frequency="once",
        reminder_lead_minutes=120,
    )
    due = now + timedelta(hours=2)
    occurrence = ActionOccurrence(
        id=uuid.uuid4(), tenant_id=tenant, action_id=step.id, occurrence_key="x", due_at=due
    )
    upcoming = CheckIn(
        id=uuid.uuid4(),
        tenant_id=tenant,
        plan_id=plan.id,
        starts_at=now + timedelta(minutes=30),
        duration_minutes=45,
        mode="video",
    )
    missed = CheckIn(
        id=uuid.uuid4(),
        tenant_id=tenant,
        plan_id=plan.id,
        starts_at=now - timedelta(hours=3),
        duration_minutes=30,
        mode="phone",
    )
    uow = PlansUnitOfWork(now)
    checkins.mark_missed(uow, missed, plan, now)
    checkins.raise_flag(uow, plan, "missed_checkins", missed)
    mood_prompts.set_mood_prompts(uow, plan, ["sun"], "17:00")  # with the digest
    return [
        ("plan.activated", activated_payload(plan)),
        ("action.scheduled", actions.payload(step, plan, occurrence)),
        ("checkin.scheduled", checkins.payload(upcoming, plan)),
        ("goal.achieved", goal_payload(garden, plan)),
        *uow.published,  # checkin.missed, client.risk_flagged, plan.mood_prompts_set
        ("plan.review_due", lifecycle_payload(plan)),
    ]


def _next_digest_time(now):
    """The default digest moment (Sunday 17:00 in the clients' timezone) after ``now``."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(TIMEZONE))
    days = (6 - local.weekday()) % 7 or 7
    sunday = (local + timedelta(days=days)).date()
    return datetime(sunday.year, sunday.month, sunday.day, 17, 1, tzinfo=ZoneInfo(TIMEZONE))


def _crisis_from_the_web(n, tenant, client) -> None:
    from services.notifications.models import Contact
    from services.notifications.replies.recording import ClientReply, record_reply

    with n.runtime.unit_of_work() as uow:
        contact = uow.session.get(Contact, (tenant, client))
        reply = ClientReply(uuid.uuid4(), "web", n.clock(), "crisis", text="I can't go on")
        assert record_reply(uow, contact, reply, n.clock())
        uow.commit()


def _mood_prompt(n, tenant, client) -> None:
    """A self check-in prompt, due now (plans' mood-prompt schedule asks for these)."""
    from services.notifications.models import Contact
    from services.notifications.nudges import schedule_nudge

    with n.runtime.unit_of_work() as uow:
        contact = uow.session.get(Contact, (tenant, client))
        assert schedule_nudge(uow, contact, "mood_prompt", "mood:test", n.clock()) is not None
        uow.commit()


def _content(message, subtype: str) -> str:
    return message.get_body((subtype,)).get_content().replace("\r\n", "\n")


def _code_of(n, tenant, client) -> str:
    from services.notifications.models import Contact

    with n.runtime.session_factory() as session:
        return session.get(Contact, (tenant, client)).phone_code


def _to_unknown_numbers(n) -> list:
    from sqlalchemy import select

    from services.notifications.models import Nudge

    with n.runtime.session_factory() as session:
        return list(session.scalars(select(Nudge).where(Nudge.audience == "number")))


def _inbound(n, body: str, sender: str = "+61412345678"):
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": sender,
        "To": "+61400000000",
        "Body": body,
    }
    assert n.provider_post(INBOUND, form).status_code == 200


def test_every_kind_on_every_channel_says_every_variable(notifications_with_sms, httpserver, smtp):
    n = notifications_with_sms
    sids = iter(range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "SM{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    tenant = uuid.uuid4()
    coach = n.staff(tenant, organisation_name=ORGANISATION, phone="+61499999999")
    by_email = n.onboard(tenant, coach, phone=None, consent={"email": True, "sms": False})
    by_sms = n.onboard(tenant, coach, email=None, consent={"email": False, "sms": True})
    for client in (by_email, by_sms):
        preferences = f"/v1/clients/{client}/preferences"
        assert (
            n.call("PUT", preferences, n.token(tenant), json={"daily_cap": 20}).status_code == 200
        )
        for event_type, data in _plans_events(tenant, client, coach, n.clock()):
            n.event(event_type, tenant, data)
    n.dispatch()
    for keyword in ("HELP", "STOP", "START"):  # the replies, one at a time
        _inbound(n, keyword)
        n.dispatch()
    for reply in ("7", "DONE", "Went to the garden, felt good", "2"):  # answered, each
        _inbound(n, reply)
        n.dispatch()
    # PLAN: without a safety plan a kind word, then with one the plan itself.
    _inbound(n, "PLAN")
    n.dispatch()
    plan = {"warning_signs": ["Not sleeping"], "coping_strategies": ["A walk"]}
    written = n.call("PUT", f"/v1/clients/{by_sms}/safety-plan", n.token(tenant), json=plan)
    assert written.status_code == 200, written.json
    _inbound(n, "SAFETY PLAN")
    n.dispatch()
    # Sunday 17:00 local: the week's digest says what the week held; the mood prompt asks.
    n.clock.set(_next_digest_time(n.clock()))
    n.dispatch()
    for client in (by_email, by_sms):
        _mood_prompt(n, tenant, client)
    n.dispatch()
    n.clock.advance(minutes=30)  # not answered: one reminder each
    n.dispatch()
    # A crisis, by SMS and from the client's page (answered by email): the client gets
    # who to call, the coach an alert by email and by SMS; nobody acknowledges it within
    # the quarter hour, so it goes to the on-call list by email and by SMS.
    on_call = {"on_call": ["oncall@harbour.example", "+61400111222"]}
    settings = n.call("PUT", "/v1/organisation/crisis-settings", n.token(tenant), json=on_call)
    assert settings.status_code == 200, settings.json
    _inbound(n, "I can't go on")
    _crisis_from_the_web(n, tenant, by_email)
    n.dispatch()
    # Another within the quarter hour: one follow-up alert when it ends. And one from a
    # number we have no record of: the crisis text goes back all the same.
    _inbound(n, "I can't go on")
    _inbound(n, "I can't go on", sender="+61400999888")
    n.clock.advance(minutes=16)
    n.dispatch()

    nudges = [nudge for client in (by_email, by_sms) for nudge in n.nudges(client)]
    waiting = [(r.kind, r.state, r.reason) for r in nudges if r.state != "sent"]
    # Next week's digest and mood prompt, one each.
    assert (
        sorted(waiting)
        == [("mood_prompt", "scheduled", None)] * 2 + [("weekly_digest", "scheduled", None)] * 2
    )
    # A second record with the client's phone: its texts carry a code, and the person
    # confirms it by replying with that code.
    family = n.onboard(tenant, coach, email=None, consent={"email": False, "sms": True})
    n.dispatch()
    _inbound(n, f"YES {_code_of(n, tenant, family)}")
    n.dispatch()
    nudges += n.nudges(family, "phone_confirmed_ack") + _to_unknown_numbers(n)
    assert [(r.kind, r.reason) for r in nudges if r.reason] == []  # no fallback anywhere
    assert {(r.kind, r.channel) for r in nudges} == {
        (kind, channel)
        for kind, spec in KINDS.items()
        for channel in spec.channels
        if not spec.fixed  # what supporters are told: test_supporters.py, on each channel
    }

    texts = [parse_qs(req.get_data(as_text=True))["Body"][0] for req, _ in httpserver.log]
    for message in smtp.messages:
        plain = _content(message, "plain")
        html = _content(message, "html")
        texts += [message["Subject"], plain, html]
        assert message["From"].addresses[0].display_name == ORGANISATION
        assert message["From"].addresses[0].addr_spec == "coach@harbour.example"
        assert f"Warm regards,\n{ORGANISATION}" in plain
        assert f"<p>Warm regards,<br>{ORGANISATION}</p>" in html
        assert '<html lang="en">' in html and '<meta charset="utf-8">' in html
    assert len(texts) == len(httpserver.log) + 3 * len(smtp.messages)
    assert [text for text in texts if GAP.search(text)] == []
    assert [r.kind for r in nudges if r.state == "sent" and not r.body] == []

    plan_ready = next(m for m in smtp.messages if m["Subject"] == "Your recovery plan is ready")
    assert "is ready, with 2 goals to start with." in _content(plan_ready, "plain")
    assert any("Hi Casey Coach," in text for text in texts)


def test_the_organisations_name_is_the_senders_name_however_it_is_written(notifications, smtp):
    from services.notifications.models import Organisation

    n = notifications
    tenant = uuid.uuid4()
    settings = "/v1/organisation/notification-settings"
    injected = 'Ngā Whare, "Harbour" Services\r\nBcc: someone@example.net'
    refused = n.call("PUT", settings, n.token(tenant), json={"name": injected})
    assert refused.status_code == 422 and "name" in refused.json["errors"]
    name = 'Ngā Whare, "Harbour" Services'
    assert n.call("PUT", settings, n.token(tenant), json={"name": name}).status_code == 200
    n.onboard(tenant)
    n.dispatch()
    [message] = smtp.messages
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (name, "coach@harbour.example")
    assert "Warm regards,\nNgā Whare" in _content(message, "plain")

    # A name stored before line breaks were refused still cannot add a header.
    with n.runtime.session_factory() as session:
        session.get(Organisation, tenant).name = injected
        session.commit()
    n.onboard(tenant, email="second@example.net")
    n.dispatch()
    second = smtp.messages[-1]
    assert second["Bcc"] is None
    assert second["From"].addresses[0].display_name == (
        'Ngā Whare, "Harbour" Services Bcc: someone@example.net'
    )


def test_an_organisation_without_a_name_sends_from_the_configured_address_alone():
    message = OutgoingMessage("<n1@coaching.nudges>", "to@example.net", "Hi", "Hello")
    wire = email_bytes(message, "coach@harbour.example")
    parsed = message_from_bytes(wire, policy=email.policy.default)
    assert parsed["From"] == "coach@harbour.example"
