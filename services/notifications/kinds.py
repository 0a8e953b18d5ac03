"""The kinds of nudge: who receives each, how much it matters, what its templates may say."""

from __future__ import annotations

from dataclasses import dataclass

# What every message to a client, and every alert to a coach, can say; an email to a
# client also carries its unsubscribe link.
CLIENT_VARIABLES = frozenset({"name", "organisation_name", "help_contact"})
COACH_VARIABLES = frozenset({"coach_name", "organisation_name", "help_contact"})
EMAIL_TO_CLIENT_VARIABLES = frozenset({"unsubscribe_url"})


@dataclass(frozen=True)
class NudgeKind:
    name: str
    audience: str  # "client" or "coach"
    priority: int  # higher goes first when several are due and the daily cap bites
    channels: tuple[str, ...]
    variables: frozenset[str]
    # Reminders are for a moment; once it has passed they expire instead of going late.
    is_reminder: bool = False
    # Replies to the client's own message (STOP, HELP): no rules but consent of the moment.
    is_reply: bool = False

    def variables_on(self, channel: str) -> frozenset[str]:
        """The variables a message of this kind has on ``channel``: no others may be used."""
        if self.audience == "coach":
            return COACH_VARIABLES | self.variables
        if channel == "email":
            return CLIENT_VARIABLES | EMAIL_TO_CLIENT_VARIABLES | self.variables
        return CLIENT_VARIABLES | self.variables


BOTH = ("email", "sms")

KINDS: dict[str, NudgeKind] = {
    kind.name: kind
    for kind in (
        NudgeKind("welcome", "client", 3, BOTH, frozenset()),
        NudgeKind("plan_ready", "client", 2, BOTH, frozenset({"goal_count"})),
        NudgeKind(
            "action_reminder",
            "client",
            3,
            BOTH,
            frozenset({"action_title", "due_local"}),
            is_reminder=True,
        ),
        NudgeKind(
            "checkin_reminder",
            "client",
            4,
            BOTH,
            frozenset({"starts_local", "mode", "duration_minutes"}),
            is_reminder=True,
        ),
        NudgeKind("goal_celebration", "client", 1, BOTH, frozenset({"goal_title"})),
        NudgeKind("checkin_missed", "client", 1, BOTH, frozenset()),
        NudgeKind("risk_alert", "coach", 5, ("email",), frozenset({"client_ref", "risk"})),
        NudgeKind(
            "review_due_alert",
            "coach",
            5,
            ("email",),
            frozenset({"client_ref", "review_due_on"}),
        ),
        NudgeKind("opt_out_confirmation", "client", 9, ("sms",), frozenset(), is_reply=True),
        NudgeKind("opt_in_confirmation", "client", 9, ("sms",), frozenset(), is_reply=True),
        NudgeKind("help_reply", "client", 9, ("sms",), frozenset(), is_reply=True),
    )
}

SAMPLE_VARIABLES = {
    "name": "Sam",
    "organisation_name": "Harbour Recovery Services",
    "help_contact": "coach@harbour.example",
    "unsubscribe_url": "https://notifications.example/unsubscribe/sample-token",
    "goal_count": 2,
    "action_title": "Walk to the community garden",
    "due_local": "Tue 14 Apr, 10:00",
    "starts_local": "Wed 15 Apr, 14:30",
    "mode": "video",
    "duration_minutes": 45,
    "goal_title": "Join a community garden group",
    "coach_name": "Avery",
    "client_ref": "client 1f3e…",
    "risk": "low wellbeing",
    "review_due_on": "2026-05-01",
}
