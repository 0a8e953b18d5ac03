"""An organisation's crisis settings: the phrases that make a reply a crisis message, and
the text the client gets at once (who to call now). Unset means the defaults."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.notifications.contacts import organisation_of
from services.notifications.models import Organisation
from services.notifications.reply_parsing import (
    DEFAULT_CRISIS_PHRASES,
    DEFAULT_CRISIS_TEXT,
    normalised,
)

MAX_PHRASES = 100


@dataclass(frozen=True)
class CrisisSettings:
    phrases: tuple[str, ...]
    crisis_text: str
    phrases_are_default: bool
    text_is_default: bool


def crisis_settings_of(organisation: Organisation | None) -> CrisisSettings:
    phrases = organisation.crisis_phrases if organisation else None
    text = organisation.crisis_text if organisation else None
    return CrisisSettings(
        phrases=tuple(phrases) if phrases else DEFAULT_CRISIS_PHRASES,
        crisis_text=text or DEFAULT_CRISIS_TEXT,
        phrases_are_default=not phrases,
        text_is_default=not text,
    )


def crisis_settings_for(session: Session, tenant_id: uuid.UUID) -> CrisisSettings:
    return crisis_settings_of(organisation_of(session, tenant_id))


def change_crisis_settings(session: Session, tenant_id: uuid.UUID, changes: dict) -> CrisisSettings:
    """Keep the given fields; ``None`` (or an empty list) goes back to the default."""
    organisation = organisation_of(session, tenant_id, create=True)
    if "phrases" in changes:
        organisation.crisis_phrases = _distinct(changes["phrases"] or []) or None
    if "crisis_text" in changes:
        organisation.crisis_text = changes["crisis_text"]
    session.flush()
    return crisis_settings_of(organisation)


def _distinct(phrases: list[str]) -> list[str]:
    """Phrases as written, without ones that read the same once normalised."""
    seen, kept = set(), []
    for phrase in phrases:
        key = normalised(phrase)
        if key and key not in seen:
            seen.add(key)
            kept.append(phrase.strip())
    return kept
