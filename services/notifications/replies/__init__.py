"""What a client (or anyone) sends back, and the answer it gets.

Owns: the SMS provider's webhooks (``webhooks``, signed: ``webhook_signature``), each text
acted on once and in order (``inbound_sms``), the keywords STOP/START/HELP and opt-outs
(``opt_outs``), whose record a text is (``routing``: the number it was sent to and the
one it came from, confirmation codes), reading a reply (``reading``: crisis, mood, done or
journal, in that order; the crisis reader itself is ``crisis/``), recording it once and
telling plans (``recording``: ``client.replied``; where YES is a keyword and where it is a
"done" is decided there too), the answer to a crisis and the coach's alert
(``crisis_answers``, the alert's page and its acknowledging link ``alert_links``), who owns
a crisis alert (``alerts``: open, acknowledged, resolved; its API ``alerts_api``) and the
on-call list it goes to when nobody acknowledges it in time (``alert_escalation``, run by
the dispatcher's loop), an organisation's crisis settings
(``crisis_settings``, the rules they must keep ``crisis_rules``, their API
``crisis_api``), and crisis texts from numbers no confirmed record has
(``unrouted_api``). What its routes do, each in the unit of work it owns, is in
``use_cases``. Its tables are in ``models``.

Entry points: ``receive_sms`` (an inbound text), ``record_reply`` (a reply from any
channel), ``read_reply`` (what a reply says), ``answer_crisis``, and ``blueprints()`` (its
HTTP routes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.notifications.replies.crisis_answers import answer_crisis
    from services.notifications.replies.reading import read_reply
    from services.notifications.replies.recording import receive_sms, record_reply

__all__ = ["answer_crisis", "blueprints", "read_reply", "receive_sms", "record_reply"]


def blueprints() -> tuple:
    from services.notifications.replies.alert_links import alert_pages
    from services.notifications.replies.alerts_api import crisis_alerts
    from services.notifications.replies.crisis_api import crisis
    from services.notifications.replies.unrouted_api import unrouted
    from services.notifications.replies.webhooks import webhooks

    return (crisis, webhooks, alert_pages, unrouted, crisis_alerts)


def __getattr__(name: str):
    # Loaded on first use, so that one module of the package imports without the rest.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.notifications.replies.crisis_answers import answer_crisis
    from services.notifications.replies.reading import read_reply
    from services.notifications.replies.recording import receive_sms, record_reply

    return {
        "answer_crisis": answer_crisis,
        "read_reply": read_reply,
        "receive_sms": receive_sms,
        "record_reply": record_reply,
    }[name]
