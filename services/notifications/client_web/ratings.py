"""A client's own ratings of how they feel (1-10, each mood reply's), kept for their page:
the last four weeks of them, one a day (a later rating replaces the day's). Older ones
are let go as a new one comes; erasure (``erasure``) deletes them all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import delete, select

from services.notifications.client_web.models import ClientRating
from services.notifications.contacts import language_of
from services.notifications.models import Contact
from services.notifications.wording.locales import babel_name
from shared.localtime import zone

DAY_PATTERN = "EEE dd MMM"

RATING_DAYS = 28  # four weeks, today included
MAX_RATINGS_READ = 500  # a page reads no more, however often someone rated


@dataclass(frozen=True)
class DayRating:
    day: str  # "Wed 01 Jul", in the client's language
    rating: int
    on: date | None = None  # the local day itself


def keep_rating(
    session, contact: Contact, reply_id: uuid.UUID, rating: int, rated_at: datetime
) -> None:
    """Keep a mood reply's rating, and let go of the client's older than the page shows."""
    session.execute(
        delete(ClientRating)
        .where(
            ClientRating.tenant_id == contact.tenant_id,
            ClientRating.client_id == contact.client_id,
            ClientRating.rated_at <= rated_at - timedelta(days=RATING_DAYS),
        )
        .execution_options(synchronize_session=False)
    )
    session.add(
        ClientRating(
            id=reply_id,
            tenant_id=contact.tenant_id,
            client_id=contact.client_id,
            rating=rating,
            rated_at=rated_at,
        )
    )


def _local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(zone(timezone)).date()


def recent_ratings(session, contact: Contact, now: datetime) -> list[DayRating]:
    """The client's rating of each day of the last four weeks they rated, newest first; a
    day rated twice shows the later rating (a new rating replaces the day's)."""
    since = now - timedelta(days=RATING_DAYS)
    rows = session.execute(
        select(ClientRating.rating, ClientRating.rated_at)
        .where(
            ClientRating.tenant_id == contact.tenant_id,
            ClientRating.client_id == contact.client_id,
            ClientRating.rated_at > since,
        )
        .order_by(ClientRating.rated_at.desc())
        .limit(MAX_RATINGS_READ)
    )
    by_day: dict[date, DayRating] = {}
    language = language_of(session, contact)
    for rating, rated_at in rows:
        day = _local_day(rated_at, contact.timezone)
        if day not in by_day:
            by_day[day] = DayRating(_day_label(day, language), rating, day)
    return list(by_day.values())


def _day_label(day: date, language: str) -> str:
    """ "Tue 14 Apr" in the client's language ("mar 14 abr")."""
    return format_date(day, DAY_PATTERN, locale=babel_name(language))


def todays_rating(ratings: list[DayRating], now: datetime, timezone: str) -> int | None:
    today = _local_day(now, timezone)
    return next((r.rating for r in ratings if r.on == today), None)
