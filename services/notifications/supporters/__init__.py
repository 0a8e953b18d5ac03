"""The client's supporters (trusted contacts), the client in control.

Owns: who a client's supporters are and their states (``membership``: invited, active,
removed; the crisis scope's message; what erasure leaves), the rules and the fixed texts
a supporter is told (``rules``), the messages to supporters and the disclosure log
(``messages``), the escalation of a mood prompt left unanswered (``escalation``: a
reminder, then supporters, then an all clear), what the dispatcher's claim hands it
(``claim_hook``), a supporter's YES and STOP by SMS (``inbound``), their signed link
(``tokens``) and its page (``links``, template in ``templates/``), the staff API (``api``,
bodies in ``schemas``) and the client's own page's part (``client_page``), the events it
consumes (``handlers``). What its routes do, each in the unit of work it owns, is in
``use_cases``. Its tables are in ``models``.

Entry points: ``add_supporter``, ``tell_crisis_supporters``, ``client_answered``,
``after_claim`` and ``blueprints()`` (its HTTP routes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.notifications.supporters.claim_hook import after_claim
    from services.notifications.supporters.escalation import client_answered
    from services.notifications.supporters.membership import (
        add_supporter,
        tell_crisis_supporters,
    )

__all__ = [
    "add_supporter",
    "after_claim",
    "blueprints",
    "client_answered",
    "tell_crisis_supporters",
]


def blueprints() -> tuple:
    from services.notifications.supporters.api import supporters
    from services.notifications.supporters.client_page import supporter_client_pages
    from services.notifications.supporters.links import supporter_pages

    return (supporters, supporter_pages, supporter_client_pages)


def __getattr__(name: str):
    # Loaded on first use, so that one module of the package imports without the rest.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.notifications.supporters.claim_hook import after_claim
    from services.notifications.supporters.escalation import client_answered
    from services.notifications.supporters.membership import (
        add_supporter,
        tell_crisis_supporters,
    )

    return {
        "add_supporter": add_supporter,
        "after_claim": after_claim,
        "client_answered": client_answered,
        "tell_crisis_supporters": tell_crisis_supporters,
    }[name]
