"""What the dispatcher's claim tells supporters' work: the mood prompts going out are
watched (``escalation``), and the messages to supporters going out are logged as
disclosures (``messages``), in the claim's own transaction."""

from __future__ import annotations

from datetime import datetime

from services.notifications.models import Nudge
from services.notifications.supporters import escalation, messages
from shared.db import UnitOfWork


def after_claim(uow: UnitOfWork, nudges: list[Nudge], now: datetime) -> None:
    if not nudges:
        return
    escalation.watch_prompts(uow, nudges, now)
    messages.disclose(uow, nudges, now)
