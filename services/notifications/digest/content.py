"""The weekly digest's content hook: what the client's week holds, read for a whole batch
in one query per table and written into the digest's variables when it goes (see
``dispatcher.kind_content``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from services.notifications.digest.plan_projection import weeks_of
from services.notifications.digest.weekly_digest import WeekInFacts, digest_variables
from services.notifications.models import Nudge


class WeeklyDigestContent:
    """A digest speaks of the client's local week, composed when it goes; an empty week
    says nothing, and the digest is skipped."""

    def gather(
        self, session: Session, nudges: list[Nudge], timezones: dict[tuple, str], now: datetime
    ) -> dict[uuid.UUID, WeekInFacts]:
        return weeks_of(session, nudges, timezones, now)

    def variables(
        self, nudge: Nudge, gathered: WeekInFacts, timezone: str, locale: str = "en"
    ) -> dict | None:
        return digest_variables(gathered, timezone, locale)


WEEKLY_DIGEST_CONTENT = WeeklyDigestContent()
