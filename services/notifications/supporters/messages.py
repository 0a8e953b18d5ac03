"""Messages to supporters: each a nudge to a "number" (someone we keep no client record
of), with its fixed text (``rules.TEXTS``) in the client's language (the client chose the
supporter), and each one logged as a disclosure when it
goes out (``disclose``, in the dispatcher's claim), with ``supporter.alerted`` or
``supporter.all_clear`` for plans' history.

Quiet hours of the supporter's own timezone hold every message but the crisis one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from services.notifications.contacts import language_of
from services.notifications.dispatcher.quiet_hours import QuietHours, next_allowed
from services.notifications.models import Contact, Nudge, Organisation
from services.notifications.replies.models import SenderNumber
from services.notifications.supporters import rules
from services.notifications.supporters.models import Disclosure, Supporter
from services.notifications.wording.locales import gettext_of
from shared.db import UnitOfWork

# A supporter's quiet hours: we know no preference of theirs, so the usual night.
SUPPORTER_QUIET_HOURS = QuietHours.of("21:00", "08:00")


def channel_of(supporter: Supporter) -> str:
    return "sms" if supporter.phone else "email"


def due_for(supporter: Supporter, kind: str, moment: datetime) -> datetime:
    """When a message to the supporter may go: at once for the crisis scope and an
    answer to their own text, otherwise outside the night of their own timezone."""
    if kind in rules.AT_ONCE:
        return moment
    return next_allowed(moment, supporter.timezone, [SUPPORTER_QUIET_HOURS])


def send_to_supporter(
    uow: UnitOfWork,
    supporter: Supporter,
    contact: Contact,
    kind: str,
    occurrence_key: str,
    moment: datetime,
    *,
    extra: dict | None = None,
) -> Nudge | None:
    """Schedule one message of ``kind`` to the supporter, once per ``occurrence_key``."""
    session = uow.session
    existing = session.scalar(
        select(Nudge).where(
            Nudge.tenant_id == supporter.tenant_id,
            Nudge.client_id == supporter.client_id,
            Nudge.kind == kind,
            Nudge.occurrence_key == occurrence_key,
        )
    )
    if existing is not None:
        return existing
    organisation = session.get(Organisation, supporter.tenant_id)
    channel = channel_of(supporter)
    _ = gettext_of(language_of(session, contact))  # the client chose the supporter
    first = rules.first_name(contact.preferred_name, contact.given_name, _)
    variables = {
        "to": supporter.phone if channel == "sms" else supporter.email,
        "supporter_id": str(supporter.id),
        "first_name": first,
        "supporter_text": rules.text_of(
            kind, first, organisation.name if organisation is not None else None, channel, _
        ),
        **(extra or {}),
    }
    own_number = session.scalar(
        select(SenderNumber.number)
        .where(SenderNumber.tenant_id == supporter.tenant_id)
        .order_by(SenderNumber.position, SenderNumber.number)
        .limit(1)
    )
    if own_number:
        variables["from"] = own_number  # so that YES and STOP come back to this organisation
    nudge = Nudge(
        id=uuid.uuid4(),
        tenant_id=supporter.tenant_id,
        client_id=supporter.client_id,
        kind=kind,
        occurrence_key=occurrence_key,
        audience="number",
        subject_id=supporter.id,
        priority=10 if kind == rules.CRISIS else 6,
        variables=variables,
        channel=channel,
        state="scheduled",
        due_at=due_for(supporter, kind, moment),
        attempts=0,
    )
    session.add(nudge)
    session.flush()
    return nudge


def cancel_for(
    uow: UnitOfWork, supporter: Supporter, reason: str, *, scopes: set[str] | None = None
) -> None:
    """Nothing more goes to a supporter who left or was removed (or, with ``scopes``,
    nothing more under the scopes they no longer have)."""
    kinds = (
        rules.KINDS
        if scopes is None
        else tuple(kind for kind, scope in rules.SCOPE_OF.items() if scope in scopes)
    )
    for nudge in uow.session.scalars(
        select(Nudge).where(
            Nudge.tenant_id == supporter.tenant_id,
            Nudge.client_id == supporter.client_id,
            Nudge.kind.in_(kinds),
            Nudge.subject_id == supporter.id,
            Nudge.state.in_(("scheduled", "deferred")),
        )
    ):
        nudge.state = "cancelled"
        nudge.reason = reason


def consent_of(supporter: Supporter, scope: str | None) -> dict:
    """Under which consent a message went: the client's for the supporter, and the crisis
    scope's own for a crisis message."""
    consent = {
        "method": supporter.consent_method,
        "recorded_by": str(supporter.consent_recorded_by)
        if supporter.consent_recorded_by
        else None,
        "at": supporter.consent_at.isoformat(),
    }
    if scope == "crisis" and supporter.crisis_consent_at is not None:
        consent["crisis"] = {
            "method": supporter.crisis_consent_method,
            "recorded_by": str(supporter.crisis_consent_recorded_by)
            if supporter.crisis_consent_recorded_by
            else None,
            "at": supporter.crisis_consent_at.isoformat(),
        }
    return consent


def disclose(uow: UnitOfWork, nudges: list[Nudge], now: datetime) -> None:
    """The messages to supporters going out in this claim: each logged once, and an
    alert or an all clear announced (no personal data in the event)."""
    session = uow.session
    for nudge in nudges:
        if nudge.kind not in rules.KINDS or nudge.state != "sending":
            continue
        if session.scalar(select(Disclosure.id).where(Disclosure.nudge_id == nudge.id)):
            continue  # a retry of a send that was logged already
        supporter = session.get(Supporter, nudge.subject_id) if nudge.subject_id else None
        if supporter is None:
            continue
        variables = nudge.variables or {}
        scope = rules.SCOPE_OF.get(nudge.kind)
        session.add(
            Disclosure(
                id=uuid.uuid4(),
                tenant_id=nudge.tenant_id,
                client_id=nudge.client_id,
                supporter_id=supporter.id,
                nudge_id=nudge.id,
                kind=nudge.kind,
                scope=scope,
                channel=nudge.channel or channel_of(supporter),
                to=variables.get("to"),
                supporter_name=supporter.name,
                text=variables.get("supporter_text"),
                consent=consent_of(supporter, scope),
                disclosed_at=now,
            )
        )
        payload = {"supporter_id": supporter.id, "client_id": supporter.client_id, "at": now}
        if nudge.kind in (rules.ALERT, rules.CRISIS, rules.CELEBRATION):
            uow.publish(
                "supporter.alerted",
                nudge.tenant_id,
                payload | {"scope": scope},
                aggregate_id=supporter.client_id,
            )
        elif nudge.kind == rules.ALL_CLEAR:
            uow.publish(
                "supporter.all_clear", nudge.tenant_id, payload, aggregate_id=supporter.client_id
            )
    session.flush()
