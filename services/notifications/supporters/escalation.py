"""A self check-in left unanswered: a reminder to the client, then their supporters.

When a mood prompt goes out (the dispatcher's claim, ``watch_prompts``), it is watched,
and what its silence would bring is scheduled then, as nudges that the dispatcher's
periodic loop sends when due (claimed ``FOR UPDATE SKIP LOCKED``, so exactly once however
many dispatchers run):

- after ``client_reminder_after_minutes``, one reminder to the client;
- after ``supporters_after_minutes``, when this prompt makes ``supporters_after_missed``
  unanswered in a row, the fixed alert to each active supporter with ``missed_checkins``
  (at most one per supporter per prompt; quiet hours of their timezone apply).

The client's answer (``client_answered``, from ``replies.recording``) cancels what has not
gone yet, and sends an all clear to every supporter who was alerted. Discharge and
erasure cancel every pending nudge of the client, these included.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from services.notifications.models import Contact, Nudge
from services.notifications.nudges import schedule_nudge
from services.notifications.supporters import messages, rules
from services.notifications.supporters.membership import supporters_of
from services.notifications.supporters.models import CheckinWatch, EscalationSetting
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import EscalationSetV1

REMINDER = "mood_prompt_reminder"
MOOD_PROMPT = "mood_prompt"
# Answers that show the client is there (a crisis message is answered by the crisis path).
ANSWERS = ("mood", "journal", "done")
# Prompts looked at to count the ones missed in a row.
MAX_MISSED_LOOKED_AT = 20


def on_escalation_set(event: Event[EscalationSetV1], uow: UnitOfWork) -> None:
    data = event.data
    setting = uow.session.get(EscalationSetting, (event.tenant_id, data.client_id))
    if setting is not None and setting.set_at > event.occurred_at:
        return  # a newer setting was applied already
    if setting is None:
        setting = EscalationSetting(tenant_id=event.tenant_id, client_id=data.client_id)
        uow.session.add(setting)
    setting.plan_id = data.plan_id
    setting.client_reminder_after_minutes = data.client_reminder_after_minutes
    setting.supporters_after_missed = data.supporters_after_missed
    setting.supporters_after_minutes = data.supporters_after_minutes
    setting.set_at = event.occurred_at


def escalation_of(session, tenant_id, client_id) -> rules.Escalation:
    setting = session.get(EscalationSetting, (tenant_id, client_id))
    if setting is None:
        return rules.DEFAULT_ESCALATION
    return rules.Escalation(
        setting.client_reminder_after_minutes,
        setting.supporters_after_missed,
        setting.supporters_after_minutes,
    )


def watch_prompts(uow: UnitOfWork, nudges: list[Nudge], now: datetime) -> None:
    """The mood prompts going out in this claim: watched once each, and their
    escalation scheduled."""
    session = uow.session
    for nudge in nudges:
        if nudge.kind != MOOD_PROMPT or nudge.state != "sending":
            continue
        if session.get(CheckinWatch, nudge.id) is not None:
            continue  # a retried send
        contact = session.get(Contact, (nudge.tenant_id, nudge.client_id))
        if contact is None or contact.status != "active":
            continue
        earlier = list(
            session.scalars(
                select(CheckinWatch.answered_at)
                .where(
                    CheckinWatch.tenant_id == nudge.tenant_id,
                    CheckinWatch.client_id == nudge.client_id,
                )
                .order_by(CheckinWatch.sent_at.desc())
                .limit(MAX_MISSED_LOOKED_AT)
            )
        )
        watch = CheckinWatch(
            prompt_id=nudge.id,
            tenant_id=nudge.tenant_id,
            client_id=nudge.client_id,
            sent_at=now,
            alerted=False,
        )
        session.add(watch)
        escalation = escalation_of(session, nudge.tenant_id, nudge.client_id)
        schedule_nudge(
            uow,
            contact,
            REMINDER,
            f"prompt:{nudge.id}",
            now + timedelta(minutes=escalation.client_reminder_after_minutes),
            subject_occurrence=str(nudge.id),
        )
        missed = 1 + rules.missed_in_a_row([at is not None for at in earlier])
        if missed >= escalation.supporters_after_missed:
            alert_at = now + timedelta(minutes=escalation.supporters_after_minutes)
            watch.alerted = _schedule_alerts(uow, contact, nudge, alert_at) > 0
    session.flush()


def _schedule_alerts(uow: UnitOfWork, contact: Contact, prompt: Nudge, at: datetime) -> int:
    scheduled = 0
    for supporter in supporters_of(uow.session, contact.tenant_id, contact.client_id):
        if not rules.may_receive(
            supporter.state, supporter.scopes, "missed_checkins", supporter.has_crisis_consent
        ):
            continue
        alert = messages.send_to_supporter(
            uow, supporter, contact, rules.ALERT, f"missed:{prompt.id}:{supporter.id}", at
        )
        if alert is not None:
            alert.subject_occurrence = str(prompt.id)
            scheduled += 1
    return scheduled


def client_answered(uow: UnitOfWork, contact: Contact, intent: str, now: datetime) -> None:
    """The client answered: every prompt still unanswered is answered now; what its
    silence would have brought is cancelled, and each supporter already alerted gets an
    all clear."""
    if intent not in ANSWERS:
        return
    session = uow.session
    open_watches = list(
        session.scalars(
            select(CheckinWatch).where(
                CheckinWatch.tenant_id == contact.tenant_id,
                CheckinWatch.client_id == contact.client_id,
                CheckinWatch.answered_at.is_(None),
            )
        )
    )
    for watch in open_watches:
        watch.answered_at = now
        prompt = str(watch.prompt_id)
        followers = session.scalars(
            select(Nudge).where(
                Nudge.tenant_id == contact.tenant_id,
                Nudge.client_id == contact.client_id,
                Nudge.kind.in_((REMINDER, rules.ALERT)),
                Nudge.subject_occurrence == prompt,
            )
        )
        for nudge in followers:
            if nudge.state in ("scheduled", "deferred"):
                nudge.state = "cancelled"
                nudge.reason = "answered"
            elif nudge.kind == rules.ALERT and nudge.state in ("sending", "sent"):
                _all_clear(uow, contact, nudge, now)
    session.flush()


def _all_clear(uow: UnitOfWork, contact: Contact, alert: Nudge, now: datetime) -> None:
    for supporter in supporters_of(uow.session, contact.tenant_id, contact.client_id):
        if supporter.id == alert.subject_id and supporter.state == "active":
            messages.send_to_supporter(
                uow,
                supporter,
                contact,
                rules.ALL_CLEAR,
                f"clear:{alert.subject_occurrence}:{supporter.id}",
                now,
            )
