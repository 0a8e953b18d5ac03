"""An organisation's crisis settings: phrases that make a reply a crisis message *as well
as* the platform's patterns (they add, never replace: DESIGN 5b), and the text a client
gets at once (who to call now), in general and by country. Unset means the platform's.

And who owns an alert nobody acknowledged: within ``acknowledge_within_minutes`` (1-120,
15 unset) a coach or admin acknowledges a crisis alert, else it goes to ``on_call``
(email addresses and E.164 phones; unset or empty: the organisation's admins) and again
at each next window (``alert_escalation``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services.notifications.contacts import organisation_of
from services.notifications.models import Organisation
from services.notifications.replies.crisis import crisis_language, platform_crisis_texts

MAX_PHRASES = 100
DEFAULT_ACKNOWLEDGE_MINUTES = 15
MIN_ACKNOWLEDGE_MINUTES, MAX_ACKNOWLEDGE_MINUTES = 1, 120
MAX_ON_CALL = 10


@dataclass(frozen=True)
class CrisisSettings:
    """``phrases``: the organisation's additional phrases; ``own_text`` and
    ``own_texts`` (by ISO 3166 alpha-2 region): its own crisis texts, if any."""

    phrases: tuple[str, ...] = ()
    own_text: str | None = None
    own_texts: Mapping[str, str] = field(default_factory=dict)
    acknowledge_within_minutes: int = DEFAULT_ACKNOWLEDGE_MINUTES
    on_call: tuple[str, ...] = ()

    @property
    def crisis_text(self) -> str:
        """The general crisis text: the organisation's own, else the platform's."""
        return self.own_text or platform_crisis_texts().default

    @property
    def text_is_default(self) -> bool:
        return not self.own_text

    def text_for(self, region: str | None, language: str | None = None) -> str:
        """Who to call in ``region``: the organisation's text for it, the platform's
        text for it, the organisation's general text, the platform's general text; the
        platform's in the client's ``language`` where it has them."""
        return (
            (self.own_texts.get(region) if region else None)
            or platform_crisis_texts().text_for(region, language)
            or self.own_text
            or platform_crisis_texts().default_in(language)
        )

    def described(self) -> dict:
        """The settings as the API shows them: the platform's defaults and the
        organisation's own, apart."""
        platform = platform_crisis_texts()
        language = crisis_language()
        return {
            "phrases": list(self.phrases),
            "crisis_text": self.own_text,
            "crisis_texts": dict(self.own_texts),
            "text_is_default": self.text_is_default,
            "acknowledge_within_minutes": self.acknowledge_within_minutes,
            "on_call": list(self.on_call),
            "defaults": {
                "patterns_version": language.version,
                "categories": [
                    {"name": c.name, "description": c.description, "examples": list(c.examples)}
                    for c in language.categories
                ],
                "crisis_text": platform.default,
                "crisis_texts": dict(platform.regions),
                "crisis_texts_version": platform.version,
            },
        }


def crisis_settings_of(organisation: Organisation | None) -> CrisisSettings:
    if organisation is None:
        return CrisisSettings()
    return CrisisSettings(
        phrases=tuple(organisation.crisis_phrases or ()),
        own_text=organisation.crisis_text or None,
        own_texts=dict(organisation.crisis_texts or {}),
        acknowledge_within_minutes=(
            organisation.acknowledge_within_minutes or DEFAULT_ACKNOWLEDGE_MINUTES
        ),
        on_call=tuple(organisation.on_call or ()),
    )


def crisis_settings_for(session: Session, tenant_id: uuid.UUID) -> CrisisSettings:
    return crisis_settings_of(organisation_of(session, tenant_id))


def crisis_text_for(session: Session, tenant_id: uuid.UUID, region: str | None) -> str:
    """The crisis text for a client of the organisation in ``region`` (None: unknown)."""
    return crisis_settings_for(session, tenant_id).text_for(region)


def change_crisis_settings(session: Session, tenant_id: uuid.UUID, changes: dict) -> CrisisSettings:
    """Keep the given fields; ``None`` (or an empty list or mapping) goes back to the
    default. The values were checked by the schema (``CrisisSettingsSchema``)."""
    organisation = organisation_of(session, tenant_id, create=True)
    if "phrases" in changes:
        organisation.crisis_phrases = _distinct(changes["phrases"] or []) or None
    if "crisis_text" in changes:
        organisation.crisis_text = changes["crisis_text"]
    if "crisis_texts" in changes:
        organisation.crisis_texts = dict(changes["crisis_texts"] or {}) or None
    if "acknowledge_within_minutes" in changes:
        organisation.acknowledge_within_minutes = changes["acknowledge_within_minutes"]
    if "on_call" in changes:
        organisation.on_call = list(dict.fromkeys(changes["on_call"] or ())) or None
    session.flush()
    return crisis_settings_of(organisation)


def _distinct(phrases: list[str]) -> list[str]:
    """Phrases as written, without ones that read the same once folded."""
    seen, kept = set(), []
    for phrase in phrases:
        key = " ".join(crisis_language().phrase_words(phrase))
        if key and key not in seen:
            seen.add(key)
            kept.append(phrase.strip())
    return kept
