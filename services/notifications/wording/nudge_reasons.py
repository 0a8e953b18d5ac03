"""A nudge's state and reason in words a coach reads: why it waits, went elsewhere, or
will not go (``GET /v1/clients/{id}/notifications``)."""

from __future__ import annotations

_REASONS = {
    "no_consent": "the client has not consented to any channel it could use",
    "paused": "messages to the client are paused",
    "quiet_hours": "it is the client's quiet hours",
    "daily_cap": "the client's daily limit of messages was reached",
    "crisis_hold": "held after a crisis message until a coach acknowledges it",
    "moment_passed": "its moment passed before it could go",
    "client_discharged": "the client was discharged",
    "client_erased": "the client's record was erased",
    "unknown_client": "the client is not known to notifications",
    "nothing_to_say": "the week held nothing to say",
    "rescheduled": "what it was about was moved",
    "digest_off": "the weekly digest was turned off",
    "mood_prompts_off": "mood prompts were turned off",
    "no_address": "there is no address to send it to",
    "no_coach_contact": "the coach has no address for it",
    "stop": "the client texted STOP",
    "unsubscribe": "the client unsubscribed",
    "bounce": "the address bounced",
}
_STATES = {
    "scheduled": "waiting to go",
    "deferred": "waiting",
    "sending": "being sent",
    "sent": "sent",
    "failed": "failed",
    "suppressed": "not sent",
    "expired": "not sent",
    "cancelled": "cancelled",
    "skipped": "skipped",
}


def in_words(state: str, reason: str | None) -> str:
    """``deferred`` + ``quiet_hours`` -> "waiting: it is the client's quiet hours"."""
    said = _STATES.get(state, state)
    if not reason:
        return said
    head, _, detail = reason.partition(":")
    if head == "moment_passed" and detail:
        why = f"{_REASONS['moment_passed']} ({_REASONS.get(detail, detail.replace('_', ' '))})"
    elif head == "suppressed":
        why = _REASONS.get(detail.strip(), "the address is on the do-not-contact list")
    elif head in ("gave up", "retrying", "undelivered"):
        why = reason
    else:
        why = _REASONS.get(reason, reason.replace("_", " "))
    return f"{said}: {why}"
