"""``PLAN`` (or ``SAFETY PLAN``) by SMS: the client's safety plan sent back, in order,
the crisis line first (``sections.plan_texts``). An answer to the client's own text, not
a nudge: no cap, no quiet hours, no pause; only the suppression list holds it back. A
client with no plan is told so kindly, with where to get help now. The fixed words
(headings, "Your safety plan. Help now: ...") are in the client's language
(``contacts.language_of``); ``PLAN DE SEGURIDAD`` asks for it too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifications.contacts import language_of
from services.notifications.models import Contact
from services.notifications.nudges import schedule_nudge
from services.notifications.replies.crisis_answers import crisis_text_for
from services.notifications.safety_plans.sections import asks_for_plan, has_content, plan_texts
from services.notifications.safety_plans.store import plan_of, version_of, with_supporters
from services.notifications.wording.locales import gettext_of
from shared.db import UnitOfWork

__all__ = ["answer_plan_request", "asks_for_plan"]

# The texts of one plan fall due a moment apart, earliest first, so that the dispatcher
# (oldest due first) sends them in order.
_STEP = timedelta(microseconds=1)


def answer_plan_request(uow: UnitOfWork, contact: Contact, message_sid: str, now: datetime) -> int:
    """Schedule the plan's texts (or the "no plan yet" answer) to the client's phone, once
    per inbound text; returns how many texts."""
    session = uow.session
    crisis_line = crisis_text_for(session, contact)
    plan = plan_of(session, contact)
    current = version_of(session, plan) if plan is not None else None
    if current is None or not has_content(current.sections):
        schedule_nudge(
            uow,
            contact,
            "safety_plan_missing",
            f"inbound:{message_sid}",
            now,
            variables={"crisis_text": crisis_line},
            channel="sms",
        )
        return 1
    texts = plan_texts(
        with_supporters(session, contact, current.sections),
        crisis_line,
        gettext_of(language_of(session, contact)),
    )
    for position, text in enumerate(texts):
        schedule_nudge(
            uow,
            contact,
            "safety_plan",
            f"inbound:{message_sid}:{position + 1}",
            now - _STEP * (len(texts) - position),
            variables={"plan_text": text},
            channel="sms",
        )
    return len(texts)
