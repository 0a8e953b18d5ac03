"""The organisation's default escalation (``organisation.escalation_defaults_set``, from
plans' ``/v1/settings``) applies to every client whose plan never had windows of its own;
a plan's own windows (``plan.escalation_set``) still win. Consumed once through the
inbox."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from coaching.registry import producers
from shared.events.envelope import new_envelope
from shared.messaging.inbox import Disposition
from tests.notifications.test_supporters import (
    ALERT_TEXT,
    PROMPT_AT,
    SUPPORTER_PHONE,
    Setting,
    _confirmed,
    _texts,
    provider,  # noqa: F401  (the fixture)
)

DEFAULTS = {
    "client_reminder_after_minutes": 10,
    "supporters_after_missed": 1,
    "supporters_after_minutes": 20,
}


def _defaults_twice(s: Setting, data: dict) -> None:
    envelope = new_envelope(
        "organisation.escalation_defaults_set",
        s.tenant,
        data,
        producer=producers()["organisation.escalation_defaults_set"],
        occurred_at=s.n.clock(),
    )
    body = json.dumps(envelope).encode()
    assert s.n.processor.process(body, {}) == Disposition.PROCESSED
    assert s.n.processor.process(body, {}) == Disposition.DUPLICATE


def test_a_missed_prompt_follows_the_organisations_windows(notifications_with_sms, provider):  # noqa: F811
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    _defaults_twice(s, DEFAULTS)
    texts_before = len(_texts(provider, SUPPORTER_PHONE))
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=9))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state != "sent"
    s.at(PROMPT_AT + timedelta(minutes=10))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state == "sent"
    s.at(PROMPT_AT + timedelta(minutes=19))
    assert _texts(provider, SUPPORTER_PHONE)[texts_before:] == []
    s.at(PROMPT_AT + timedelta(minutes=20))
    s.at(PROMPT_AT + timedelta(minutes=90))
    alerts = _texts(provider, SUPPORTER_PHONE)[texts_before:]
    assert [t.split(" https://")[0] for t in alerts] == [ALERT_TEXT]
    assert len(s.n.published_data("supporter.alerted")) == 1


def test_a_plans_own_windows_win_over_the_organisations(notifications_with_sms, provider):  # noqa: F811
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    s.n.event(
        "plan.escalation_set",
        s.tenant,
        {
            "plan_id": uuid.uuid4(),
            "client_id": s.client,
            "client_reminder_after_minutes": 45,
            "supporters_after_missed": 1,
            "supporters_after_minutes": 60,
        },
    )
    s.n.clock.advance(minutes=1)
    _defaults_twice(s, DEFAULTS)
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=30))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state != "sent"
    s.at(PROMPT_AT + timedelta(minutes=45))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state == "sent"


def test_older_defaults_arriving_late_change_nothing(notifications_with_sms, provider):  # noqa: F811
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    _defaults_twice(s, DEFAULTS)
    s.n.event(
        "organisation.escalation_defaults_set",
        s.tenant,
        {**DEFAULTS, "client_reminder_after_minutes": 50},
        occurred_at=s.n.clock() - timedelta(hours=1),
    )
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=10))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state == "sent"


def test_another_organisations_defaults_do_not_apply(notifications_with_sms, provider):  # noqa: F811
    s = Setting(notifications_with_sms)
    _confirmed(s, provider)
    s.n.event("organisation.escalation_defaults_set", uuid.uuid4(), DEFAULTS)
    s.prompts()
    s.at(PROMPT_AT)
    s.at(PROMPT_AT + timedelta(minutes=29))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state != "sent"
    s.at(PROMPT_AT + timedelta(minutes=30))
    assert s.n.nudge(s.client, "mood_prompt_reminder").state == "sent"
