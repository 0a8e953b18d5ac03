"""A text from a supporter's number (one that is no client's, ``replies.routing``):
YES confirms their invitation, STOP (or any stop word) ends every supporter record the
number has in that scope. Anything else is left to the usual path (a crisis text from
them is still answered there)."""

from __future__ import annotations

from datetime import datetime

from services.notifications.replies.opt_outs import keyword_of
from services.notifications.supporters import membership, rules
from services.notifications.supporters.models import Supporter
from shared.db import UnitOfWork


def answer_supporter(
    uow: UnitOfWork, supporters: list[Supporter], body: str, now: datetime
) -> str | None:
    """What the text did (``supporter_confirmed``, ``supporter_left``), or None when it is
    neither YES nor a stop word."""
    if keyword_of(body) == "stop":
        for supporter in supporters:
            membership.remove(uow, supporter, "supporter", now, acknowledge=True)
        return "supporter_left"
    if rules.says_yes(body):
        invited = [s for s in supporters if s.state == "invited"]
        for supporter in invited:
            membership.confirm(uow, supporter, now, acknowledge=True)
        return "supporter_confirmed"
    return None
