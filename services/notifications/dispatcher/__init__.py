"""The dispatcher: sends each due nudge once, by the rules, and records what became of it.

Owns: claiming due nudges under a lease (``claiming``, ``lease``), the rules that decide
whether a nudge goes now and on which channel (``rules``, ``quiet_hours``), the providers'
shared send rates (``rate_limits``), writing each message (``composing``, with a kind's own
content from its hook: ``kind_content``), and recording the outcome
(``outcomes``, ``recorder``, ``outcome_events``). ``facts`` reads what the rules need for
a batch in a few queries.

Entry point: ``Dispatcher`` (``loop``: claim, run_once, run_forever).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.notifications.dispatcher.loop import Dispatcher

__all__ = ["Dispatcher"]


def __getattr__(name: str):
    # Loaded on first use, so that a module of this package (the quiet hours, the rules)
    # can be imported without the whole dispatcher.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.notifications.dispatcher.loop import Dispatcher

    return Dispatcher
