"""The kinds of nudge: who receives each, how much it matters, what its templates may say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# What every message to a client, and every alert to a coach, can say; an email to a
# client also carries its unsubscribe link and the link to the client's own page.
# ``coach_name`` (the client's coach) only when the client has a coach known by name: a
# template that names them says so with ``is defined``.
CLIENT_VARIABLES = frozenset({"name", "organisation_name", "help_contact", "coach_name"})
CLIENT_OPTIONAL = frozenset({"coach_name"})
COACH_VARIABLES = frozenset({"coach_name", "organisation_name", "help_contact"})
EMAIL_TO_CLIENT_VARIABLES = frozenset({"unsubscribe_url", "my_page_url"})
ALERT_VARIABLES = frozenset(
    {"coach_name", "client_ref", "client_phone", "received_local", "words", "alert_url"}
)

# What a message to a supporter has: its fixed text and the link to confirm or leave.
SUPPORTER_VARIABLES = frozenset({"supporter_text", "first_name", "link_url"})


@dataclass(frozen=True)
class NudgeKind:
    name: str
    # "client", "coach", "number" (someone we have no record of), or "on_call" (an address
    # on an organisation's on-call list, or one of its admins)
    audience: str
    priority: int  # higher goes first when several are due and the daily cap bites
    channels: tuple[str, ...]
    variables: frozenset[str]
    # Reminders are for a moment; once it has passed they expire instead of going late.
    is_reminder: bool = False
    # How long after its moment a reminder may still go (a digest a day late is still news).
    expires_after: timedelta = timedelta(0)
    # Replies to the client's own message (STOP, HELP): no rules but consent of the moment.
    is_reply: bool = False
    # Answers to a client's reply (crisis text, acknowledgements): like ``is_reply`` (no
    # pause, quiet hours or cap), but never to an address on the suppression list.
    is_answer: bool = False
    # Variables a message of this kind may lack (its defaults test ``is defined``); any
    # other missing or empty variable is an error, never blank text.
    optional: frozenset[str] = frozenset()
    # Variables only its emails have: the signed answer links ("I did it", 1-10).
    email_variables: frozenset[str] = frozenset()
    # Encouragement (a digest, a celebration, a mood prompt, a step reminder): it waits
    # after a crisis message until a coach acknowledges the crisis (``crisis_answers``).
    encouraging: bool = False
    # Setting up (the welcome, the plan ready): never counted against the daily cap, so
    # that day one's reminders still go.
    is_setup: bool = False
    # Fixed wording no organisation may override: what a supporter is told.
    fixed: bool = False

    def variables_on(self, channel: str) -> frozenset[str]:
        """The variables a message of this kind has on ``channel``: no others may be used."""
        if self.audience in ("coach", "on_call"):
            return COACH_VARIABLES | self.variables
        if channel == "email":
            return (
                CLIENT_VARIABLES | EMAIL_TO_CLIENT_VARIABLES | self.variables | self.email_variables
            )
        return CLIENT_VARIABLES | self.variables


BOTH = ("email", "sms")

KINDS: dict[str, NudgeKind] = {
    kind.name: kind
    for kind in (
        # Names the coach when notifications knows their name (``coach_name``).
        NudgeKind(
            "welcome",
            "client",
            3,
            BOTH,
            frozenset(),
            optional=CLIENT_OPTIONAL,
            is_setup=True,
        ),
        NudgeKind(
            "plan_ready",
            "client",
            2,
            BOTH,
            frozenset({"goal_count"}),
            optional=frozenset({"goal_count"}),
            is_setup=True,
        ),
        NudgeKind(
            "action_reminder",
            "client",
            3,
            BOTH,
            frozenset({"action_title", "due_local"}),
            is_reminder=True,
            email_variables=frozenset({"done_url"}),
            encouraging=True,
        ),
        NudgeKind(
            "checkin_reminder",
            "client",
            4,
            BOTH,
            frozenset({"starts_local", "mode", "duration_minutes"}),
            is_reminder=True,
        ),
        NudgeKind(
            "goal_celebration", "client", 1, BOTH, frozenset({"goal_title"}), encouraging=True
        ),
        NudgeKind("checkin_missed", "client", 1, BOTH, frozenset()),
        NudgeKind("risk_alert", "coach", 5, ("email",), frozenset({"client_ref", "risk"})),
        NudgeKind(
            "review_due_alert",
            "coach",
            5,
            ("email",),
            frozenset({"client_ref", "review_due_on"}),
        ),
        NudgeKind(
            "weekly_digest",
            "client",
            1,
            BOTH,
            frozenset(
                {
                    "steps_done",
                    "steps_planned",
                    "goals_achieved",
                    "goals_achieved_count",
                    "next_steps",
                    "next_checkin",
                }
            ),
            is_reminder=True,
            expires_after=timedelta(days=2),
            optional=frozenset({"next_checkin"}),  # a week with no check-in coming
            encouraging=True,
        ),
        # A self check-in the coach asked for; a reply with a number is a mood rating. Late
        # by more than three hours (quiet hours, the cap, a pause) it is no longer "today's
        # feeling at the time the coach chose": it expires and the next one is scheduled.
        NudgeKind(
            "mood_prompt",
            "client",
            2,
            BOTH,
            frozenset(),
            is_reminder=True,
            expires_after=timedelta(hours=3),
            email_variables=frozenset({"rating_urls"}),  # by email with ten links, 1 to 10
            encouraging=True,
        ),
        NudgeKind("opt_out_confirmation", "client", 9, ("sms",), frozenset(), is_reply=True),
        NudgeKind("opt_in_confirmation", "client", 9, ("sms",), frozenset(), is_reply=True),
        NudgeKind("help_reply", "client", 9, ("sms",), frozenset(), is_reply=True),
        # A client's reply: the crisis text first of anything, then the acknowledgements.
        NudgeKind("crisis_text", "client", 10, BOTH, frozenset({"crisis_text"}), is_answer=True),
        NudgeKind("mood_ack", "client", 9, ("sms",), frozenset({"rating"}), is_answer=True),
        # A rating of 3 or less: a kind word and where to get help, not "noted".
        NudgeKind(
            "low_mood_ack",
            "client",
            9,
            ("sms",),
            frozenset({"rating", "crisis_text"}),
            is_answer=True,
        ),
        # The crisis text to a number no confirmed record has (``crisis_answers``).
        NudgeKind(
            "unrouted_crisis_text",
            "number",
            10,
            ("sms",),
            frozenset({"crisis_text"}),
            is_answer=True,
        ),
        # The person confirmed that this number is theirs for this organisation.
        NudgeKind("phone_confirmed_ack", "client", 9, ("sms",), frozenset(), is_answer=True),
        NudgeKind("done_ack", "client", 9, ("sms",), frozenset({"action_title"}), is_answer=True),
        NudgeKind("journal_ack", "client", 9, ("sms",), frozenset(), is_answer=True),
        # PLAN by SMS: the client's safety plan, in one or more texts (``safety_plans``),
        # or, with none, a kind word and the crisis text.
        NudgeKind("safety_plan", "client", 9, ("sms",), frozenset({"plan_text"}), is_answer=True),
        NudgeKind(
            "safety_plan_missing",
            "client",
            9,
            ("sms",),
            frozenset({"crisis_text"}),
            is_answer=True,
        ),
        # The coach hears of a crisis message at once, any hour: by email, and by SMS when
        # the coach has a phone. It names the client (as the organisation chose), their
        # phone and the time; the email quotes the words; both link to the alert's page.
        NudgeKind(
            "crisis_alert",
            "coach",
            10,
            BOTH,
            ALERT_VARIABLES,
            optional=frozenset({"client_phone", "words"}),
        ),
        # A mood prompt still unanswered after the plan's grace period (``supporters``).
        NudgeKind("mood_prompt_reminder", "client", 2, BOTH, frozenset(), encouraging=True),
        # To a client's supporters (``supporters``): fixed text, the first name at most.
        *(
            NudgeKind(
                name,
                "number",
                10 if name == "supporter_crisis" else 6,
                BOTH,
                SUPPORTER_VARIABLES,
                is_answer=True,
                fixed=True,
            )
            for name in (
                "supporter_invite",
                "supporter_alert",
                "supporter_all_clear",
                "supporter_crisis",
                "supporter_celebration",
                "supporter_confirmed_ack",
                "supporter_left_ack",
            )
        ),
        # Further crisis messages within the coalescing window, folded into one alert.
        NudgeKind(
            "crisis_followup",
            "coach",
            10,
            BOTH,
            ALERT_VARIABLES | {"message_count"},
            optional=frozenset({"client_phone", "words"}),
        ),
        # A crisis alert nobody acknowledged within the organisation's window, to the
        # on-call list, any hour (``replies.alert_escalation``): who, their phone, when,
        # how long it has waited, and the link to acknowledge it; never the words.
        NudgeKind(
            "crisis_escalation",
            "on_call",
            10,
            BOTH,
            (ALERT_VARIABLES - {"words", "coach_name"}) | {"minutes_open"},
            optional=frozenset({"client_phone"}),
        ),
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
    "client_ref": "Sam Taylor",
    "client_phone": "+61412345678",
    "received_local": "Tue 14 Apr, 02:10 (Australia/Sydney)",
    "words": "I can't go on any more",
    "alert_url": "https://notifications.example/alerts/sample-token",
    "message_count": 3,
    "minutes_open": 15,
    "risk": "low wellbeing",
    "review_due_on": "2026-05-01",
    "steps_done": 4,
    "steps_planned": 5,
    "goals_achieved": ["Join a community garden group"],
    "goals_achieved_count": 1,
    "next_steps": [
        {"title": "Walk to the community garden", "when": "Mon 13 Apr, 10:00"},
        {"title": "Call the housing service", "when": "Tue 14 Apr, 09:30"},
    ],
    "next_checkin": "Wed 15 Apr, 14:30",
    "crisis_text": "If you are in danger call 000 now, or Lifeline on 13 11 14 (24/7).",
    "rating": 7,
    "plan_text": "Your safety plan. If you need help now: call 000, or Lifeline on 13 11 14.\n"
    "1. Warning signs:\n- Not sleeping",
    "my_page_url": "https://notifications.example/me/sample-token",
    "done_url": "https://notifications.example/r/sample-done-token",
    "supporter_text": "Sam hasn't replied to today's check-in. You might want to get in touch.",
    "first_name": "Sam",
    "link_url": "https://notifications.example/supporters/sample-token",
    "rating_urls": [f"https://notifications.example/r/sample-rating-{r}" for r in range(1, 11)],
}


def answers_client(kind: str) -> bool:
    """A reply or an answer to the client's own message: not a nudge."""
    spec = KINDS.get(kind)
    return spec is not None and (spec.is_reply or spec.is_answer)


def counts_towards_cap(kind: str) -> bool:
    """Replies, answers and setup messages (welcome, plan ready) never use the cap."""
    spec = KINDS.get(kind)
    return spec is not None and not (spec.is_reply or spec.is_answer or spec.is_setup)
