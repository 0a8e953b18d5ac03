"""A crisis message answered, whoever it came from and however it came.

- The person gets the crisis text for their region at once, whatever the hour, a pause or
  the cap (only the suppression list holds it back): on the channel they wrote on, or, from
  their own page (which shows it at once), also on a channel they consented to.
  By SMS, a client with a safety plan is also told to reply PLAN for it (``safety_plans``).
- Their coach (or, with no active coach, the organisation's admins) is alerted at once,
  naming the client, their phone, the time and the words, with a link to the alert's page.
  Further crisis messages within ``COALESCING`` are folded into one follow-up alert (how
  many, the latest words), sent when the window ends: never dropped, never a flood.
- Encouraging nudges wait until a coach acknowledges the crisis (``crisis_hold_since``;
  plans' ``client.risk_acknowledged`` lifts it).
- From a number no confirmed record has (``reply_routing``), the crisis text still goes
  back at once, and the message is kept for the organisation's admins (a text to its own
  number) or the platform operator (the shared number), and counted.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from services.notifications.digest.weekly_digest import local_label
from services.notifications.dispatcher.rules import address_of, channel_order
from services.notifications.models import Contact, Nudge, Organisation, StaffMember
from services.notifications.nudges import schedule_nudge
from services.notifications.replies.alerts import alert_opened
from services.notifications.replies.crisis import region_of, region_of_phone
from services.notifications.replies.crisis_settings import crisis_settings_for
from services.notifications.replies.models import CrisisAlert, UnroutedMessage
from services.notifications.replies.routing import Scope
from services.notifications.safety_plans.store import has_safety_plan
from services.notifications.supporters.membership import tell_crisis_supporters
from services.notifications.wording.locales import N_, shipped_locale, translations
from shared import metrics
from shared.db import UnitOfWork

log = logging.getLogger(__name__)

COALESCING = timedelta(minutes=15)
MAX_ADMINS_ALERTED = 20
# Quoted in the coach's email at most this long (the journal has the whole text).
MAX_WORDS_QUOTED = 500
COACH_TOLD = N_("Your coach has been told.")  # in the client's language when sent
PLAN_OFFER = N_("Reply PLAN for your safety plan.")
# The platform's own id for a text to the shared number that no organisation owns.
PLATFORM = uuid.UUID(int=0)


def answer_crisis(
    uow: UnitOfWork,
    contact: Contact,
    reply_id: uuid.UUID,
    channel: str,
    text: str | None,
    now: datetime,
) -> list[StaffMember]:
    """Alert the coach (coalesced), hold encouragement, and send the crisis text; returns
    who was alerted (empty: nobody could be)."""
    alerted = _alert_staff(uow, contact, reply_id, text, now)
    tell_crisis_supporters(uow, contact, reply_id, now)  # crisis scope, with its consent
    if contact.crisis_hold_since is None:
        contact.crisis_hold_since = now
    crisis_text = crisis_text_for(uow.session, contact)
    if alerted:
        crisis_text = f"{crisis_text} {_coach_told_in(uow.session, contact)}"
    answer_channel = channel if channel in ("sms", "email") else _consented_channel(contact)
    if answer_channel == "sms" and has_safety_plan(uow.session, contact):
        plan_offer = translations(_language_of(uow.session, contact)).gettext(PLAN_OFFER)
        crisis_text = f"{crisis_text} {plan_offer}"
    if answer_channel is not None:
        schedule_nudge(
            uow,
            contact,
            "crisis_text",
            f"reply:{reply_id}",
            now,
            variables={"crisis_text": crisis_text},
            channel=answer_channel,
        )
    return alerted


def crisis_text_for(session, contact: Contact) -> str:
    """Who to call now, for the client's region (``crisis_settings.CrisisSettings.text_for``:
    the organisation's text for it, ours, the organisation's general one, ours)."""
    settings = crisis_settings_for(session, contact.tenant_id)
    language = _language_of(session, contact)  # the platform's texts in the client's
    return settings.text_for(region_of(contact), language).replace(COACH_TOLD, "").strip()


def _consented_channel(contact: Contact) -> str | None:
    """From the page (which shows the text at once), anything more goes only where the
    client consented."""
    consented = [c for c in channel_order(contact, ("sms", "email")) if address_of(contact, c)]
    return consented[0] if consented else None


# -- the coach's alerts -----------------------------------------------------------------------


def _alert_staff(
    uow: UnitOfWork, contact: Contact, reply_id: uuid.UUID, text: str | None, now: datetime
) -> list[StaffMember]:
    session = uow.session
    staff = staff_to_alert(session, contact)
    if not staff:
        log.warning(
            "crisis message with no coach or admin to alert",
            extra={"reply_id": str(reply_id), "tenant_id": str(contact.tenant_id)},
        )
        return []
    alert = session.scalar(
        select(CrisisAlert)
        .where(
            CrisisAlert.tenant_id == contact.tenant_id,
            CrisisAlert.client_id == contact.client_id,
            CrisisAlert.opened_at > now - COALESCING,
            CrisisAlert.state != "resolved",  # a new crisis after it: a new alert to own
        )
        .order_by(CrisisAlert.opened_at.desc())
        .limit(1)
        .with_for_update()
    )
    words = (text or "").strip()[:MAX_WORDS_QUOTED] or None
    if alert is None:
        alert = CrisisAlert(
            id=uuid.uuid4(),
            tenant_id=contact.tenant_id,
            client_id=contact.client_id,
            opened_at=now,
            last_at=now,
            message_count=1,
            latest_text=words,
        )
        session.add(alert)
        session.flush()
        alert_opened(uow, alert, now)  # someone must own it (``alerts``)
        kind, key, due, extra = "crisis_alert", f"crisis:{alert.id}", now, {}
    else:
        alert.message_count += 1
        alert.last_at = now
        alert.latest_text = words
        kind, key, due = "crisis_followup", f"crisis-followup:{alert.id}", alert.opened_at
        due += COALESCING
        extra = {"message_count": alert.message_count - 1}
    organisation = session.get(Organisation, contact.tenant_id)
    variables = alert_variables(contact, organisation, now) | extra
    if words:
        variables["words"] = words
    variables["alert_id"] = str(alert.id)  # the dispatcher writes the signed link
    for member in staff:
        for alert_channel in ("email", "sms") if member.phone else ("email",):
            _schedule_or_refresh(
                uow,
                contact,
                kind,
                f"{key}:{member.staff_id}:{alert_channel}",
                due,
                dict(variables),
                reply_id,
                member.staff_id,
                alert_channel,
            )
    return staff


def _schedule_or_refresh(uow, contact, kind, key, due, variables, reply_id, staff_id, channel):
    """A follow-up not yet sent carries the latest count and words."""
    nudge = schedule_nudge(
        uow,
        contact,
        kind,
        key,
        due,
        variables=variables,
        subject_id=reply_id,
        staff_id=staff_id,
        channel=channel,
    )
    if nudge is not None and nudge.state in ("scheduled", "deferred"):
        nudge.variables = variables
        nudge.subject_id = reply_id


def alert_variables(contact: Contact, organisation: Organisation | None, now: datetime) -> dict:
    variables = {
        "client_ref": client_name(contact, organisation),
        "received_local": f"{local_label(now, contact.timezone)} ({contact.timezone})",
    }
    if contact.phone:
        variables["client_phone"] = contact.phone
    return variables


def client_name(contact: Contact, organisation: Organisation | None) -> str:
    """As the caseload names the client (preferred or given name and family name), or
    their initials where the organisation chose that."""
    first = contact.preferred_name or contact.given_name or ""
    parts = [part for part in (first, contact.family_name) if part]
    if not parts:
        return "A client"
    if organisation is not None and organisation.alert_naming == "initials":
        return "".join(f"{part[0].upper()}." for part in parts)
    return " ".join(parts)


def staff_to_alert(session, contact: Contact) -> list[StaffMember]:
    """The client's coach; with no active coach known, the organisation's admins."""
    if contact.coach_id is not None:
        coach = session.get(StaffMember, (contact.tenant_id, contact.coach_id))
        if coach is not None and coach.active:
            return [coach]
    return list(
        session.scalars(
            select(StaffMember)
            .where(
                StaffMember.tenant_id == contact.tenant_id,
                StaffMember.role == "org_admin",
                StaffMember.active.is_(True),
            )
            .order_by(StaffMember.staff_id)
            .limit(MAX_ADMINS_ALERTED)
        )
    )


# -- after a coach acknowledges -----------------------------------------------------------------


def lift_hold(contact: Contact, acknowledged_at: datetime) -> bool:
    """Encouragement may go again, unless a newer crisis came after the acknowledgement."""
    if contact.crisis_hold_since is None or contact.crisis_hold_since > acknowledged_at:
        return False
    contact.crisis_hold_since = None
    return True


# -- from a number no confirmed record has ------------------------------------------------------


def answer_unrouted_crisis(
    uow: UnitOfWork,
    scope: Scope,
    phone: str,
    text: str,
    why: str,
    message_id: uuid.UUID,
    now: datetime,
) -> None:
    """The crisis text back at once (the organisation's if the number is its own, else
    the default), the message kept for follow-up, and counted."""
    session = uow.session
    tenant_id = scope.tenant_id
    session.add(
        UnroutedMessage(
            id=message_id,
            tenant_id=tenant_id,
            to_number=scope.to_number[:32],
            from_phone=phone[:32],
            why=why,
            text=text,
            received_at=now,
        )
    )
    settings = (
        crisis_settings_for(session, tenant_id)
        if tenant_id
        else crisis_settings_for(session, PLATFORM)
    )
    crisis_text = settings.text_for(region_of_phone(phone)).replace(COACH_TOLD, "").strip()
    session.add(
        Nudge(
            id=uuid.uuid4(),
            tenant_id=tenant_id or PLATFORM,
            client_id=message_id,
            kind="unrouted_crisis_text",
            occurrence_key=f"unrouted:{message_id}",
            audience="number",
            priority=10,
            variables={"crisis_text": crisis_text, "to": phone, "from": scope.to_number},
            channel="sms",
            state="scheduled",
            due_at=now,
            attempts=0,
        )
    )
    session.flush()
    metrics.UNROUTED_CRISIS.labels("organisation" if tenant_id else "shared").inc()
    log.warning(
        "crisis message from a number no confirmed record has",
        extra={"message_id": str(message_id), "why": why, "own_number": bool(tenant_id)},
    )


def _language_of(session, contact: Contact) -> str:
    """The shipped language of the client's answers (``wording.locales``)."""
    organisation = session.get(Organisation, contact.tenant_id)
    default = organisation.default_locale if organisation is not None else None
    return shipped_locale(contact.locale, default)


def _coach_told_in(session, contact: Contact) -> str:
    """The sentence "Your coach has been told." in the client's language."""
    return translations(_language_of(session, contact)).gettext(COACH_TOLD)
