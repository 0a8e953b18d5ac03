"""Whether a due nudge goes now, and on which channel; if not, why.

The rules, in order, each recorded as the nudge's reason when it holds the nudge back:
consent for the channel; the suppression list; a paused client (coach alerts still go);
quiet hours in the client's timezone (deferred to the first allowed minute); the daily
cap (deferred to the next day); a reminder whose moment has passed expires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notifications.contacts import PENDING_STATES
from services.notifications.dispatcher.quiet_hours import (
    QuietHours,
    next_allowed,
    start_of_next_day,
)
from services.notifications.models import Contact, Nudge, Organisation, StaffMember
from services.notifications.wording.kinds import KINDS

DEFAULT_QUIET = ("21:00", "08:00")
# A nudge held after a crisis is looked at again this often (a coach's acknowledgement
# lifts the hold; a reminder whose moment passes meanwhile expires).
CRISIS_HOLD_RECHECK = timedelta(minutes=30)


@dataclass(frozen=True)
class Decision:
    action: str  # send, suppress, defer, expire, cancel
    channel: str | None = None
    to: str | None = None
    reason: str | None = None
    until: datetime | None = None


def quiet_windows(contact: Contact, organisation: Organisation | None) -> list[QuietHours]:
    windows = [QuietHours.of(contact.quiet_start, contact.quiet_end)]
    if organisation and organisation.quiet_floor_start and organisation.quiet_floor_end:
        windows.append(QuietHours.of(organisation.quiet_floor_start, organisation.quiet_floor_end))
    return windows


def channel_order(contact: Contact, kind_channels: tuple[str, ...]) -> list[str]:
    preferred = contact.preferred_channel
    ordered = [preferred] + [c for c in ("email", "sms") if c != preferred]
    return [c for c in ordered if c in kind_channels]


def address_of(contact: Contact, channel: str) -> str | None:
    if channel == "email":
        return contact.email if contact.consent_email else None
    return contact.phone if contact.consent_sms else None


def channel_it_would_use(nudge: Nudge, contact: Contact | None) -> str | None:
    """The channel a pending nudge would go by if it fell due now, as consent and the
    preferred channel stand (None: not pending, or no consented channel). The suppression
    list and the other rules still have their say when it falls due."""
    if nudge.state not in PENDING_STATES:
        return None
    kind = KINDS[nudge.kind]
    if kind.audience != "client" or kind.is_reply or kind.is_answer:
        return nudge.channel  # fixed when it was made: a coach's alert, an answer
    if contact is None:
        return None
    ordered = channel_order(contact, kind.channels)
    return next((channel for channel in ordered if address_of(contact, channel)), None)


def decide_for_client(
    nudge: Nudge,
    contact: Contact | None,
    organisation: Organisation | None,
    *,
    now: datetime,
    suppressed: Callable[[str, str], str | None],
    sent_today: Callable[[], int],
) -> Decision:
    kind = KINDS[nudge.kind]
    if contact is None:
        return Decision("cancel", reason="unknown_client")
    if contact.status == "erased":
        return Decision("cancel", reason="client_erased")
    if kind.is_answer:
        return _answer(nudge, contact, suppressed)
    if contact.status == "discharged" and not kind.is_reply:
        return Decision("cancel", reason="client_discharged")
    # 1. consent, preferred channel first; 2. the suppression list.
    channels = [nudge.channel] if kind.is_reply else channel_order(contact, kind.channels)
    consented = [(c, address_of(contact, c)) for c in channels if address_of(contact, c)]
    if kind.is_reply and nudge.channel == "sms" and contact.phone:
        consented = [("sms", contact.phone)]  # a reply to the client's own text
    if not consented:
        return Decision("suppress", reason="no_consent")
    allowed = [(c, to) for c, to in consented if kind.is_reply or not suppressed(c, to)]
    if not allowed:
        channel, to = consented[0]
        return Decision("suppress", channel=channel, reason=f"suppressed:{suppressed(channel, to)}")
    channel, to = allowed[0]
    if kind.is_reply:
        return Decision("send", channel=channel, to=to)
    # 3. encouragement after a crisis message, until a coach acknowledges it; then a
    # paused client.
    if kind.encouraging and contact.crisis_hold_since is not None:
        return _defer_or_expire(nudge, channel, "crisis_hold", now + CRISIS_HOLD_RECHECK)
    if contact.paused_until is not None and contact.paused_until > now:
        return Decision("defer", channel=channel, reason="paused", until=contact.paused_until)
    # 4. quiet hours in the client's own timezone.
    windows = quiet_windows(contact, organisation)
    allowed_at = next_allowed(now, contact.timezone, windows)
    if allowed_at > now:
        return _defer_or_expire(nudge, channel, "quiet_hours", allowed_at)
    # 5. the daily cap.
    if not kind.is_setup and sent_today() >= contact.daily_cap:
        return _defer_or_expire(
            nudge, channel, "daily_cap", start_of_next_day(now, contact.timezone, windows)
        )
    # 6. a reminder whose moment has passed.
    if kind.is_reminder and nudge.event_at is not None and _stale_at(nudge) <= now:
        return Decision("expire", channel=channel, reason="moment_passed")
    return Decision("send", channel=channel, to=to)


def decide_for_number(nudge: Nudge) -> Decision:
    """The crisis text to a number no confirmed record has: at once, to the number that
    wrote (``crisis_answers.answer_unrouted_crisis``)."""
    channel = nudge.channel or "sms"  # a supporter without a phone is written to by email
    to = (nudge.variables or {}).get("to")
    if not to:
        return Decision("cancel", channel=channel, reason="no_address")
    return Decision("send", channel=channel, to=to)


def decide_for_on_call(nudge: Nudge) -> Decision:
    """A crisis alert nobody acknowledged, to someone on the on-call list: at once, any
    hour, to the address or phone it names (``alert_escalation``)."""
    to = (nudge.variables or {}).get("to")
    if not to or nudge.channel not in ("email", "sms"):
        return Decision("cancel", channel=nudge.channel, reason="no_address")
    return Decision("send", channel=nudge.channel, to=to)


def _answer(
    nudge: Nudge, contact: Contact, suppressed: Callable[[str, str], str | None]
) -> Decision:
    """An answer to the client's own reply goes at once, any hour, past a pause or the cap,
    on the channel the reply came by; only the suppression list (consent of the moment)
    holds it back. A discharged client who writes still gets an answer."""
    to = contact.phone if nudge.channel == "sms" else contact.email
    if not to:
        return Decision("suppress", channel=nudge.channel, reason="no_address")
    reason = suppressed(nudge.channel, to)
    if reason:
        return Decision("suppress", channel=nudge.channel, reason=f"suppressed:{reason}")
    return Decision("send", channel=nudge.channel, to=to)


def _defer_or_expire(nudge: Nudge, channel: str, reason: str, until: datetime) -> Decision:
    if KINDS[nudge.kind].is_reminder and nudge.event_at is not None and until >= _stale_at(nudge):
        return Decision("expire", channel=channel, reason=f"moment_passed:{reason}")
    return Decision("defer", channel=channel, reason=reason, until=until)


def _stale_at(nudge: Nudge) -> datetime:
    """When a reminder stops being worth sending: its moment, or a while after it."""
    return nudge.event_at + KINDS[nudge.kind].expires_after


def decide_for_coach(staff: StaffMember | None, channel: str | None = "email") -> Decision:
    """Coach alerts go at any hour; by email, or by SMS for an alert that asks for it."""
    to = None
    if staff is not None and staff.active:
        to = staff.phone if channel == "sms" else staff.email
    if not to:
        return Decision("suppress", channel=channel, reason="no_coach_contact")
    return Decision("send", channel=channel or "email", to=to)
