"""The default wording of every nudge kind on each of its channels, as Jinja2 templates.

An organisation may override any of them (see ``templates``); these go whenever it has
not, or its own fails when a nudge is sent.
"""

from __future__ import annotations

from services.notifications.wording.email_layout import (
    HTML_LANGUAGE,
    button,
    html_document,
    rating_buttons,
    small_print,
)

# What a supporter is told is fixed (``supporters.rules``): the text is written there, the
# link lets them confirm or leave.
SUPPORTER_KINDS = (
    "supporter_invite",
    "supporter_alert",
    "supporter_all_clear",
    "supporter_crisis",
    "supporter_celebration",
    "supporter_confirmed_ack",
    "supporter_left_ack",
)

__all__ = ["DEFAULT_TEMPLATES", "HTML_LANGUAGE", "html_document"]

_OPT_OUT = "Reply STOP to opt out."
# Every text to a client says who it is from.
_FROM = "{{ organisation_name }}: "
_SIGN_OFF_TEXT = "Warm regards,\n{{ organisation_name }}"
_SIGN_OFF_HTML = "<p>Warm regards,<br>{{ organisation_name }}</p>"


# Every email to a client links to the client's own page (steps, mood, journal).
_MY_PAGE_TEXT = "Your page (steps, mood, a note to your coach): {{ my_page_url }}"
_MY_PAGE_HTML = (
    '<p><a href="{{ my_page_url }}">Your page</a>: this week\'s steps, your mood, '
    "a note to your coach.</p>"
)
# An action reminder's "I did it" link.
DONE_LINK_TEXT = "I did it: {{ done_url }}"
DONE_LINK_HTML = button("{{ done_url }}", "I did it")
# A mood prompt's ten links, 1 to 10: drop these into any mood_prompt email.
RATING_LINKS_TEXT = "{% for url in rating_urls %}{{ loop.index }}: {{ url }}\n{% endfor %}"
RATING_LINKS_HTML = rating_buttons("rating_urls")
# Where a client can reach the organisation: in the welcome.
_HELP_TEXT = "If you need us, reach {{ organisation_name }} at {{ help_contact }}."
_UNSUBSCRIBE_HTML = small_print('<a href="{{ unsubscribe_url }}">Stop these emails</a>')


def _email(
    subject: str, body: str, *, text_extra: str = "", html_extra: str = ""
) -> dict[str, str]:
    """A client email: greeting, ``body`` (paragraphs split on blank lines), then any
    links (``text_extra``/``html_extra``), the sign-off, the page and unsubscribe links."""
    extra_text = f"{text_extra}\n\n" if text_extra else ""
    text = (
        f"Hi {{{{ name }}}},\n\n{body}\n\n{extra_text}{_SIGN_OFF_TEXT}\n\n"
        f"{_MY_PAGE_TEXT}\n"
        "To stop these emails: {{ unsubscribe_url }}\n"
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n\n"))
    html = html_document(
        "<p>Hi {{ name }},</p>"
        f"{paragraphs}{html_extra}{_SIGN_OFF_HTML}{_MY_PAGE_HTML}{_UNSUBSCRIBE_HTML}"
    )
    return {"subject": subject, "text": text, "html": html}


_ESCALATION = (
    "{{ client_ref }}{% if client_phone is defined %} ({{ client_phone }}){% endif %} "
    "sent a message at {{ received_local }} that may mean they are in crisis, and nobody "
    "has acknowledged the alert for {{ minutes_open }} minutes. You are on call: please "
    "make sure someone contacts them now, then acknowledge the alert."
)


def _alert(subject: str, body: str) -> dict[str, str]:
    return {
        "subject": subject,
        "text": f"Hi {{{{ coach_name }}}},\n\n{body}\n\n{_SIGN_OFF_TEXT}\n",
        "html": html_document(f"<p>Hi {{{{ coach_name }}}},</p><p>{body}</p>{_SIGN_OFF_HTML}"),
    }


# How the digest greets the week's steps: all done, some, or none yet.
_ENCOURAGEMENT = (
    '{{ " - every one of them. Well done!" if steps_done == steps_planned else '
    '(". Every step counts." if steps_done else ". That\'s okay - each week is a fresh start.") }}'
)

DEFAULT_TEMPLATES: dict[tuple[str, str], dict[str, str]] = {
    ("welcome", "email"): _email(
        "Welcome to {{ organisation_name }}, {{ name }}",
        # A client whose coach notifications does not know by name is not told a name.
        "Welcome aboard. Your coach{% if coach_name is defined and coach_name %}, "
        "{{ coach_name }},{% endif %} will be in touch soon to start working on your "
        "recovery plan together, at your pace.\n\n"
        "We will send you the occasional reminder and note of encouragement.\n\n" + _HELP_TEXT,
    ),
    ("welcome", "sms"): {
        "text": "Hi {{ name }}, welcome to {{ organisation_name }}. Your coach will be in "
        f"touch soon. {_OPT_OUT}",
    },
    ("plan_ready", "email"): _email(
        "Your recovery plan is ready",
        # An event from before plans sent the count has none: the sentence goes without.
        "The plan you and your coach worked out is ready"
        "{% if goal_count is defined and goal_count %}, with {{ goal_count }} "
        "goal{{ '' if goal_count == 1 else 's' }} to start with{% endif %}. "
        "Take it one step at a time.",
    ),
    ("plan_ready", "sms"): {
        "text": "Hi {{ name }}, your recovery plan with {{ organisation_name }} is ready. "
        f"One step at a time. {_OPT_OUT}",
    },
    ("action_reminder", "email"): _email(
        "Reminder: {{ action_title }}",
        "A gentle reminder of your next step: {{ action_title }}, {{ due_local }}.",
        text_extra=DONE_LINK_TEXT,
        html_extra=DONE_LINK_HTML,
    ),
    ("action_reminder", "sms"): {
        "text": f"{_FROM}Hi {{{{ name }}}}, a reminder: {{{{ action_title }}}}, "
        f"{{{{ due_local }}}}. Reply DONE when done. {_OPT_OUT}",
    },
    ("checkin_reminder", "email"): _email(
        "Your check-in on {{ starts_local }}",
        "Your check-in with your coach is on {{ starts_local }} ({{ mode }}, "
        "{{ duration_minutes }} minutes).",
    ),
    ("checkin_reminder", "sms"): {
        "text": f"{_FROM}Hi {{{{ name }}}}, your check-in is {{{{ starts_local }}}} "
        f"({{{{ mode }}}}). {_OPT_OUT}",
    },
    ("goal_celebration", "email"): _email(
        "You did it: {{ goal_title }}",
        "You reached your goal: {{ goal_title }}. That took real effort - well done.",
    ),
    ("goal_celebration", "sms"): {
        "text": f"{_FROM}Well done {{{{ name }}}}! You reached your goal: "
        f"{{{{ goal_title }}}}. {_OPT_OUT}",
    },
    ("checkin_missed", "email"): _email(
        "We missed you",
        "We missed you at your check-in. That's okay - your coach will reach out to find "
        "a time that suits you.",
    ),
    ("checkin_missed", "sms"): {
        "text": f"{_FROM}Hi {{{{ name }}}}, we missed you at your check-in. That's okay - "
        f"your coach will be in touch. {_OPT_OUT}",
    },
    ("risk_alert", "email"): _alert(
        "Check in with {{ client_ref }}",
        "Plans flagged {{ client_ref }} for {{ risk }}. Please check in with them soon.",
    ),
    ("review_due_alert", "email"): _alert(
        "Plan review due for {{ client_ref }}",
        "The recovery plan of {{ client_ref }} is due for review on {{ review_due_on }}.",
    ),
    ("weekly_digest", "email"): {
        "subject": "Your week with {{ organisation_name }}",
        "text": (
            """Hi {{ name }},

Here is your week.
{% if steps_planned %}

You did {{ steps_done }} of the {{ steps_planned }} steps you planned{{ encouragement }}
{% endif %}
{% if goals_achieved %}

{% for goal in goals_achieved %}
You reached your goal: {{ goal }}.
{% endfor %}
{% if goals_achieved_count > goals_achieved|length %}
And {{ goals_achieved_count - goals_achieved|length }} more besides.
{% endif %}
That took real effort.
{% endif %}
{% if next_steps %}

Coming up:
{% for step in next_steps %}
- {{ step.title }}, {{ step.when }}
{% endfor %}
{% endif %}
{% if next_checkin is defined %}

Your next check-in: {{ next_checkin }}.
{% endif %}

"""
            + _SIGN_OFF_TEXT
            + "\n\n"
            + _MY_PAGE_TEXT
            + """
To stop these emails: {{ unsubscribe_url }}
"""
        ).replace("{{ encouragement }}", _ENCOURAGEMENT),
        "html": html_document(
            "<p>Hi {{ name }},</p><p>Here is your week.</p>"
            "{% if steps_planned %}<p>You did {{ steps_done }} of the {{ steps_planned }} steps "
            f"you planned{_ENCOURAGEMENT}</p>{{% endif %}}"
            "{% if goals_achieved %}<p>{% for goal in goals_achieved %}"
            "You reached your goal: <strong>{{ goal }}</strong>.<br>{% endfor %}"
            "{% if goals_achieved_count > goals_achieved|length %}"
            "And {{ goals_achieved_count - goals_achieved|length }} more besides.<br>{% endif %}"
            "That took real effort.</p>{% endif %}"
            "{% if next_steps %}<p>Coming up:</p><ul>{% for step in next_steps %}"
            "<li>{{ step.title }}, {{ step.when }}</li>{% endfor %}</ul>{% endif %}"
            "{% if next_checkin is defined %}<p>Your next check-in: {{ next_checkin }}.</p>{% endif %}"
            f"{_SIGN_OFF_HTML}{_MY_PAGE_HTML}{_UNSUBSCRIBE_HTML}"
        ),
    },
    ("weekly_digest", "sms"): {
        "text": _FROM + "Hi {{ name }}, your week: "
        "{% if steps_planned %}{{ steps_done }} of {{ steps_planned }} steps done"
        "{% if steps_done == steps_planned %} - well done!{% else %}.{% endif %} {% endif %}"
        "{% if goals_achieved_count %}Goals reached: {{ goals_achieved_count }}. {% endif %}"
        "{% if next_steps %}Next: {{ next_steps[0].title|truncate(60) }}, {{ next_steps[0].when }}. "
        "{% endif %}"
        "{% if next_checkin is defined %}Check-in: {{ next_checkin }}. {% endif %}" + _OPT_OUT,
    },
    # DESIGN 5b's wording: a number in reply is read as a mood rating (``reply_parsing``).
    ("mood_prompt", "email"): _email(
        "How are you feeling today?",
        "How are you feeling today, from 1 to 10? Your coach asked us to check in with you. "
        "Tap a number (1 is very low, 10 is great).",
        text_extra=RATING_LINKS_TEXT,
        html_extra=RATING_LINKS_HTML,
    ),
    ("mood_prompt", "sms"): {
        "text": f"{_FROM}Hi {{{{ name }}}}. How are you feeling today, from 1 to 10? Reply "
        f"with a number. {_OPT_OUT}",
    },
    ("opt_out_confirmation", "sms"): {
        "text": "You will get no more text messages from {{ organisation_name }}. "
        "Reply START to opt back in.",
    },
    ("opt_in_confirmation", "sms"): {
        "text": "You will get text messages from {{ organisation_name }} again. "
        "Reply STOP to opt out.",
    },
    ("help_reply", "sms"): {
        "text": "{{ organisation_name }}: reach us at {{ help_contact }}. "
        "Reply STOP to opt out, START to opt back in.",
    },
    ("crisis_text", "sms"): {"text": "{{ crisis_text }}"},
    ("unrouted_crisis_text", "sms"): {"text": "{{ crisis_text }}"},
    ("crisis_text", "email"): {
        "subject": "Help is there right now",
        "text": f"Hi {{{{ name }}}},\n\n{{{{ crisis_text }}}}\n\n{_SIGN_OFF_TEXT}\n\n"
        f"{_MY_PAGE_TEXT}\n",
        "html": html_document(
            f"<p>Hi {{{{ name }}}},</p><p>{{{{ crisis_text }}}}</p>{_SIGN_OFF_HTML}{_MY_PAGE_HTML}"
        ),
    },
    ("mood_ack", "sms"): {"text": "Thanks, noted {{ rating }}/10."},
    ("low_mood_ack", "sms"): {
        "text": "Thanks for telling us - {{ rating }}/10 sounds hard. Your coach will see "
        "this. If you need someone now: {{ crisis_text }}",
    },
    ("phone_confirmed_ack", "sms"): {
        "text": "Thanks - this number will now get messages from {{ organisation_name }}. "
        "Reply STOP to opt out.",
    },
    ("done_ack", "sms"): {"text": "Well done \u2014 '{{ action_title }}' marked done."},
    ("journal_ack", "sms"): {"text": "Thanks, your coach will see this."},
    ("safety_plan", "sms"): {"text": "{{ plan_text }}"},
    ("safety_plan_missing", "sms"): {
        "text": "You don't have a safety plan with us yet. Your coach can make one with you. "
        "If you need someone now: {{ crisis_text }}",
    },
    ("crisis_alert", "email"): _alert(
        "Urgent: {{ client_ref }} may be in crisis",
        "{{ client_ref }}{% if client_phone is defined %} ({{ client_phone }}){% endif %} "
        "sent a message at {{ received_local }} that may mean they are in crisis. They have "
        "been sent the crisis line details. Please contact them now."
        '{% if words is defined %}\n\nThey wrote: "{{ words }}"{% endif %}'
        "\n\nDetails: {{ alert_url }}",
    ),
    ("crisis_alert", "sms"): {
        "text": "Urgent: {{ client_ref }}{% if client_phone is defined %} ({{ client_phone }})"
        "{% endif %} sent a message at {{ received_local }} that may mean they are in crisis. "
        "Please contact them now. {{ alert_url }}",
    },
    ("crisis_followup", "email"): _alert(
        "Urgent: {{ message_count }} more crisis messages from {{ client_ref }}",
        "{{ client_ref }}{% if client_phone is defined %} ({{ client_phone }}){% endif %} "
        "has sent {{ message_count }} more messages that may mean they are in crisis, the "
        "latest at {{ received_local }}."
        '{% if words is defined %}\n\nThe latest: "{{ words }}"{% endif %}'
        "\n\nDetails: {{ alert_url }}",
    ),
    ("crisis_escalation", "email"): {
        "subject": "Urgent, not yet acknowledged: {{ client_ref }} may be in crisis",
        "text": f"Hello,\n\n{_ESCALATION}\n\nAcknowledge: {{{{ alert_url }}}}\n\n"
        f"{_SIGN_OFF_TEXT}\n",
        "html": html_document(
            f"<p>Hello,</p><p>{_ESCALATION}</p>"
            '<p><a href="{{ alert_url }}">Acknowledge the alert</a></p>'
            f"{_SIGN_OFF_HTML}"
        ),
    },
    ("crisis_escalation", "sms"): {
        "text": "Urgent, on call: {{ client_ref }}{% if client_phone is defined %} "
        "({{ client_phone }}){% endif %} may be in crisis since {{ received_local }}; nobody "
        "has acknowledged for {{ minutes_open }} min. Acknowledge: {{ alert_url }}",
    },
    ("crisis_followup", "sms"): {
        "text": "Urgent: {{ client_ref }} sent {{ message_count }} more crisis messages, the "
        "latest at {{ received_local }}. Please contact them now. {{ alert_url }}",
    },
    # A mood prompt not answered within the plan's window: one reminder (``supporters``).
    ("mood_prompt_reminder", "email"): _email(
        "Just checking in",
        "We haven't heard from you today. How are you feeling, from 1 to 10? You can "
        "answer on your page.",
    ),
    ("mood_prompt_reminder", "sms"): {
        "text": f"{_FROM}Hi {{{{ name }}}}, just checking in: how are you feeling today, from 1 "
        f"to 10? Reply with a number. {_OPT_OUT}",
    },
    **{
        (kind, channel): template
        for kind in SUPPORTER_KINDS
        for channel, template in (
            ("sms", {"text": "{{ supporter_text }} {{ link_url }}"}),
            (
                "email",
                {
                    "subject": "A message from {{ organisation_name }}",
                    "text": f"{{{{ supporter_text }}}}\n\n{{{{ link_url }}}}\n\n{_SIGN_OFF_TEXT}\n",
                    "html": html_document(
                        '<p>{{ supporter_text }}</p><p><a href="{{ link_url }}">'
                        f"Your choice as a supporter</a></p>{_SIGN_OFF_HTML}"
                    ),
                },
            ),
        )
    },
}
