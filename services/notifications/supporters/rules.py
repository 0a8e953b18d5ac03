"""The supporters' rules, as plain values: how many, which scopes, what they are told.

What a supporter is told is fixed here and nowhere else: no organisation template, no
score, no journal word, no diagnosis, no programme name. Only the client's first name
(and, in the invitation, the organisation's name) ever reaches a supporter. The English
texts are these; the platform's catalogs hold their fixed translations, and a supporter
is written to in the client's language (the client chose them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the catalogs (``make messages``); translated where sent."""
    return message


def _same(message: str) -> str:
    return message


MAX_SUPPORTERS = 5
SCOPES = ("celebrations", "missed_checkins", "crisis")
STATES = ("invited", "active", "removed")
# How the client's consent was given: to their coach (intake's methods), or on their page.
STAFF_CONSENT_METHODS = ("form", "verbal")  # as intake records a consent staff took
CLIENT_CONSENT_METHOD = "client_page"

# The messages' kinds (nudges to a "number": someone we have no client record of).
INVITE = "supporter_invite"
ALERT = "supporter_alert"
ALL_CLEAR = "supporter_all_clear"
CRISIS = "supporter_crisis"
CELEBRATION = "supporter_celebration"
CONFIRMED_ACK = "supporter_confirmed_ack"
LEFT_ACK = "supporter_left_ack"
# Sent at any hour: the crisis scope, and answers to the supporter's own YES or STOP.
AT_ONCE = (CRISIS, CONFIRMED_ACK, LEFT_ACK)
KINDS = (INVITE, ALERT, ALL_CLEAR, CRISIS, CELEBRATION, CONFIRMED_ACK, LEFT_ACK)

MISSED_CHECKIN_TEXT = N_(
    "{first_name} hasn't replied to today's check-in. You might want to get in touch."
)
ALL_CLEAR_TEXT = N_("All clear: {first_name} has replied to today's check-in. Thank you.")
CRISIS_TEXT = N_(
    "{first_name} may need support right now. Please get in touch with them if you can. "
    "If you think they are in danger, call emergency services."
)
CELEBRATION_TEXT = N_(
    "{first_name} has reached one of their goals. You might want to congratulate them."
)
INVITE_SMS = N_(
    "{first_name} would like you as a supporter with {organisation}: you would get a short "
    "text if they miss a check-in. Reply YES to agree, or STOP to decline."
)
CONFIRMED_TEXT = N_("Thank you: you are now one of {first_name}'s supporters. Reply STOP to leave.")
LEFT_TEXT = N_("You are no longer one of {first_name}'s supporters. You will get no more messages.")

# Every kind's text: fixed, with only the first name and (invitation) organisation filled.
TEXTS = {
    INVITE: INVITE_SMS,
    ALERT: MISSED_CHECKIN_TEXT,
    ALL_CLEAR: ALL_CLEAR_TEXT,
    CRISIS: CRISIS_TEXT,
    CELEBRATION: CELEBRATION_TEXT,
    CONFIRMED_ACK: CONFIRMED_TEXT,
    LEFT_ACK: LEFT_TEXT,
}
# By email there is nothing to reply to: the link confirms or leaves.
EMAIL_TEXTS = {
    INVITE: N_(
        "{first_name} would like you as a supporter with {organisation}: you would get a "
        "short message if they miss a check-in. Follow the link to agree or to decline."
    ),
    CONFIRMED_ACK: N_(
        "Thank you: you are now one of {first_name}'s supporters. Follow the link "
        "to leave at any time."
    ),
}
# The scope a message is sent under (None: about the supporter's own membership).
SCOPE_OF = {
    ALERT: "missed_checkins",
    ALL_CLEAR: "missed_checkins",
    CRISIS: "crisis",
    CELEBRATION: "celebrations",
}


@dataclass(frozen=True)
class Escalation:
    """After a prompt goes unanswered: a reminder to the client after
    ``client_reminder_after_minutes``; supporters told after ``supporters_after_minutes``
    once ``supporters_after_missed`` prompts in a row are unanswered."""

    client_reminder_after_minutes: int = 30
    supporters_after_missed: int = 1
    supporters_after_minutes: int = 120


DEFAULT_ESCALATION = Escalation()


NO_FIRST_NAME = N_("Your friend")
NO_ORGANISATION = N_("their coach")


def first_name(
    preferred_name: str | None, given_name: str | None, _: Callable[[str], str] = _same
) -> str:
    """The client's first name as they are called; never the family name."""
    name = (preferred_name or given_name or "").strip()
    return name.split()[0] if name else _(NO_FIRST_NAME)


def text_of(
    kind: str,
    first: str,
    organisation: str | None = None,
    channel: str = "sms",
    _: Callable[[str], str] = _same,
) -> str:
    """The fixed text of ``kind``, in the language of ``_`` (the catalog's ``gettext`` of
    the client's language; English as written here by default)."""
    text = EMAIL_TEXTS.get(kind, TEXTS[kind]) if channel == "email" else TEXTS[kind]
    return _(text).format(first_name=first, organisation=organisation or _(NO_ORGANISATION))


def may_receive(state: str, scopes: list[str], scope: str, has_crisis_consent: bool) -> bool:
    """Whether a supporter may be told something under ``scope``: only when active, with
    the scope; the crisis scope also needs its own consent."""
    if state != "active" or scope not in scopes:
        return False
    return scope != "crisis" or has_crisis_consent


def missed_in_a_row(answered: list[bool]) -> int:
    """How many of the latest prompts (newest first) went unanswered in a row."""
    count = 0
    for was_answered in answered:
        if was_answered:
            break
        count += 1
    return count


# A supporter's YES, in every shipped language (accents left out): the Spanish invitation
# asks for SÍ.
YES_WORDS = ("yes", "y", "yes please", "ok", "agree") + ("si", "s", "si acepto", "acepto", "vale")


def says_yes(body: str) -> bool:
    bare = unicodedata.normalize("NFKD", body or "")
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return " ".join(bare.replace(",", " ").split()).strip(".!¡").lower() in YES_WORDS
