"""The default wording of every nudge kind on each of its channels, as Jinja2 templates,
in every language the platform ships (``locales``).

The English words are written here, each marked for translation (``_``, and ``_plural``
for a sentence that depends on a number: extracted with ``pybabel extract -k _plural:1,2``,
see docs/notifications.md); :func:`default_templates` builds the set of one language from
its catalog, once. A translated message keeps the ``{{ variables }}`` of its English one.

An organisation may override any of them (see ``templates``); these go whenever it has
not, or its own fails when a nudge is sent. Alerts to a coach stay in English (the
platform's staff language); everything a client receives is translated.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from services.notifications.wording.email_layout import (
    HTML_LANGUAGE,
    button,
    html_document,
    rating_buttons,
    small_print,
)
from services.notifications.wording.locales import DEFAULT_LOCALE, translations

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


__all__ = [
    "DEFAULT_TEMPLATES",
    "HTML_LANGUAGE",
    "SUPPORTER_KINDS",
    "default_templates",
    "html_document",
]

# The name a default template calls for a plural: the catalog's ``ngettext``, given to
# the platform's own templates only when they render (``templates.render``).
PLURAL_FUNCTION = "ngettext"


def _plural(singular: str, plural: str, count: str, **named: str) -> str:
    """A sentence that depends on the number ``count`` (a template expression), chosen by
    the catalog's plural rule when the message renders; ``%(num)s`` is the number and
    each of ``named`` another expression (``%(name)s``)."""
    values = ", ".join(f"{name}={expr}" for name, expr in {"num": count, **named}.items())
    return (
        f"{{{{ {PLURAL_FUNCTION}({json.dumps(singular)}, {json.dumps(plural)}, {count})"
        f"|format({values}) }}}}"
    )


def _build(_: Callable[[str], str], lang: str) -> dict[tuple[str, str], dict[str, str]]:
    """Every default template, its words passed through ``_`` (a catalog's gettext)."""

    def document(body: str) -> str:
        return html_document(body, lang)

    opt_out = _("Reply STOP to opt out.")
    # Every text to a client says who it is from.
    from_ = "{{ organisation_name }}: "
    sign_off_text = _("Warm regards,") + "\n{{ organisation_name }}"
    sign_off_html = "<p>" + _("Warm regards,") + "<br>{{ organisation_name }}</p>"
    # Every email to a client links to the client's own page (steps, mood, journal).
    my_page_text = _("Your page (steps, mood, a note to your coach): {{ my_page_url }}")
    my_page_html = _(
        '<a href="{{ my_page_url }}">Your page</a>: this week\'s steps, your mood, '
        "a note to your coach."
    ).join(("<p>", "</p>"))
    stop_emails_text = _("To stop these emails: {{ unsubscribe_url }}")
    unsubscribe_html = small_print(
        '<a href="{{ unsubscribe_url }}">' + _("Stop these emails") + "</a>"
    )
    # An action reminder's "I did it" link, and a mood prompt's ten links, 1 to 10.
    done_link_text = _("I did it: {{ done_url }}")
    done_link_html = button("{{ done_url }}", _("I did it"))
    rating_links_text = "{% for url in rating_urls %}{{ loop.index }}: {{ url }}\n{% endfor %}"
    rating_links_html = rating_buttons("rating_urls", out_of=_("{{ loop.index }} out of 10"))
    # Where a client can reach the organisation: in the welcome.
    help_text = _("If you need us, reach {{ organisation_name }} at {{ help_contact }}.")
    greeting = _("Hi {{ name }},")

    def email(
        subject: str, body: str, *, text_extra: str = "", html_extra: str = ""
    ) -> dict[str, str]:
        """A client email: greeting, ``body`` (paragraphs split on blank lines), then any
        links (``text_extra``/``html_extra``), the sign-off, the page and unsubscribe links."""
        extra_text = f"{text_extra}\n\n" if text_extra else ""
        text = (
            f"{greeting}\n\n{body}\n\n{extra_text}{sign_off_text}\n\n"
            f"{my_page_text}\n{stop_emails_text}\n"
        )
        paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n\n"))
        html = document(
            f"<p>{greeting}</p>"
            f"{paragraphs}{html_extra}{sign_off_html}{my_page_html}{unsubscribe_html}"
        )
        return {"subject": subject, "text": text, "html": html}

    # How the digest greets the week's steps: all done, some, or none yet.
    encouragement = (
        "{{ "
        + json.dumps(_(" - every one of them. Well done!"))
        + " if steps_done == steps_planned else ("
        + json.dumps(_(". Every step counts."))
        + " if steps_done else "
        + json.dumps(_(". That's okay - each week is a fresh start."))
        + ") }}"
    )
    steps_done_sentence = _plural(
        "You did %(done)s of the %(num)s step you planned",
        "You did %(done)s of the %(num)s steps you planned",
        "steps_planned",
        done="steps_done",
    )
    more_goals = _plural(
        "And %(num)s more besides.",
        "And %(num)s more besides.",
        "goals_achieved_count - goals_achieved|length",
    )
    goal_reached = _("You reached your goal: {{ goal }}.")
    goal_reached_html = _("You reached your goal: <strong>{{ goal }}</strong>.")
    took_effort = _("That took real effort.")
    coming_up = _("Coming up:")
    next_checkin = _("Your next check-in: {{ next_checkin }}.")
    here_is_your_week = _("Here is your week.")

    return {
        ("welcome", "email"): email(
            _("Welcome to {{ organisation_name }}, {{ name }}"),
            # A client whose coach notifications does not know by name is not told a name.
            _(
                "Welcome aboard. Your coach{% if coach_name is defined and coach_name %}, "
                "{{ coach_name }},{% endif %} will be in touch soon to start working on your "
                "recovery plan together, at your pace."
            )
            + "\n\n"
            + _("We will send you the occasional reminder and note of encouragement.")
            + "\n\n"
            + help_text,
        ),
        ("welcome", "sms"): {
            "text": _(
                "Hi {{ name }}, welcome to {{ organisation_name }}. Your coach will be in "
                "touch soon."
            )
            + " "
            + opt_out,
        },
        ("plan_ready", "email"): email(
            _("Your recovery plan is ready"),
            # An event from before plans sent the count has none: the sentence goes without.
            _("The plan you and your coach worked out is ready")
            + "{% if goal_count is defined and goal_count %}"
            + _plural(
                ", with %(num)s goal to start with",
                ", with %(num)s goals to start with",
                "goal_count",
            )
            + "{% endif %}. "
            + _("Take it one step at a time."),
        ),
        ("plan_ready", "sms"): {
            "text": _(
                "Hi {{ name }}, your recovery plan with {{ organisation_name }} is ready. "
                "One step at a time."
            )
            + " "
            + opt_out,
        },
        ("action_reminder", "email"): email(
            _("Reminder: {{ action_title }}"),
            _("A gentle reminder of your next step: {{ action_title }}, {{ due_local }}."),
            text_extra=done_link_text,
            html_extra=done_link_html,
        ),
        ("action_reminder", "sms"): {
            "text": from_
            + _(
                "Hi {{ name }}, a reminder: {{ action_title }}, {{ due_local }}. "
                "Reply DONE when done."
            )
            + " "
            + opt_out,
        },
        ("checkin_reminder", "email"): email(
            _("Your check-in on {{ starts_local }}"),
            _(
                "Your check-in with your coach is on {{ starts_local }} ({{ mode }}, "
                "{{ duration_minutes }} minutes)."
            ),
        ),
        ("checkin_reminder", "sms"): {
            "text": from_
            + _("Hi {{ name }}, your check-in is {{ starts_local }} ({{ mode }}).")
            + " "
            + opt_out,
        },
        ("goal_celebration", "email"): email(
            _("You did it: {{ goal_title }}"),
            _("You reached your goal: {{ goal_title }}. That took real effort - well done."),
        ),
        ("goal_celebration", "sms"): {
            "text": from_
            + _("Well done {{ name }}! You reached your goal: {{ goal_title }}.")
            + " "
            + opt_out,
        },
        ("checkin_missed", "email"): email(
            _("We missed you"),
            _(
                "We missed you at your check-in. That's okay - your coach will reach out to "
                "find a time that suits you."
            ),
        ),
        ("checkin_missed", "sms"): {
            "text": from_
            + _(
                "Hi {{ name }}, we missed you at your check-in. That's okay - your coach will "
                "be in touch."
            )
            + " "
            + opt_out,
        },
        ("weekly_digest", "email"): {
            "subject": _("Your week with {{ organisation_name }}"),
            "text": (
                f"{greeting}\n\n{here_is_your_week}\n"
                "{% if steps_planned %}\n\n"
                f"{steps_done_sentence}{encouragement}\n"
                "{% endif %}\n"
                "{% if goals_achieved %}\n\n"
                "{% for goal in goals_achieved %}\n"
                f"{goal_reached}\n"
                "{% endfor %}\n"
                "{% if goals_achieved_count > goals_achieved|length %}\n"
                f"{more_goals}\n"
                "{% endif %}\n"
                f"{took_effort}\n"
                "{% endif %}\n"
                "{% if next_steps %}\n\n"
                f"{coming_up}\n"
                "{% for step in next_steps %}\n"
                "- {{ step.title }}, {{ step.when }}\n"
                "{% endfor %}\n"
                "{% endif %}\n"
                "{% if next_checkin is defined %}\n\n"
                f"{next_checkin}\n"
                "{% endif %}\n\n"
                f"{sign_off_text}\n\n{my_page_text}\n{stop_emails_text}\n"
            ),
            "html": document(
                f"<p>{greeting}</p><p>{here_is_your_week}</p>"
                f"{{% if steps_planned %}}<p>{steps_done_sentence}{encouragement}</p>{{% endif %}}"
                "{% if goals_achieved %}<p>{% for goal in goals_achieved %}"
                f"{goal_reached_html}<br>{{% endfor %}}"
                "{% if goals_achieved_count > goals_achieved|length %}"
                f"{more_goals}<br>{{% endif %}}"
                f"{took_effort}</p>{{% endif %}}"
                f"{{% if next_steps %}}<p>{coming_up}</p><ul>{{% for step in next_steps %}}"
                "<li>{{ step.title }}, {{ step.when }}</li>{% endfor %}</ul>{% endif %}"
                f"{{% if next_checkin is defined %}}<p>{next_checkin}</p>{{% endif %}}"
                f"{sign_off_html}{my_page_html}{unsubscribe_html}"
            ),
        },
        ("weekly_digest", "sms"): {
            "text": from_
            + _("Hi {{ name }}, your week:")
            + " {% if steps_planned %}"
            + _plural(
                "%(done)s of %(num)s step done",
                "%(done)s of %(num)s steps done",
                "steps_planned",
                done="steps_done",
            )
            + "{% if steps_done == steps_planned %}"
            + _(" - well done!")
            + "{% else %}.{% endif %} {% endif %}"
            + "{% if goals_achieved_count %}"
            + _("Goals reached: {{ goals_achieved_count }}.")
            + " {% endif %}"
            + "{% if next_steps %}"
            + _("Next: {{ next_steps[0].title|truncate(60) }}, {{ next_steps[0].when }}.")
            + " {% endif %}"
            + "{% if next_checkin is defined %}"
            + _("Check-in: {{ next_checkin }}.")
            + " {% endif %}"
            + opt_out,
        },
        # DESIGN 5b's wording: a number in reply is read as a mood rating (``reply_parsing``).
        ("mood_prompt", "email"): email(
            _("How are you feeling today?"),
            _(
                "How are you feeling today, from 1 to 10? Your coach asked us to check in with "
                "you. Tap a number (1 is very low, 10 is great)."
            ),
            text_extra=rating_links_text,
            html_extra=rating_links_html,
        ),
        ("mood_prompt", "sms"): {
            "text": from_
            + _("Hi {{ name }}. How are you feeling today, from 1 to 10? Reply with a number.")
            + " "
            + opt_out,
        },
        ("opt_out_confirmation", "sms"): {
            "text": _(
                "You will get no more text messages from {{ organisation_name }}. "
                "Reply START to opt back in."
            ),
        },
        ("opt_in_confirmation", "sms"): {
            "text": _("You will get text messages from {{ organisation_name }} again.")
            + " "
            + opt_out,
        },
        ("help_reply", "sms"): {
            "text": _(
                "{{ organisation_name }}: reach us at {{ help_contact }}. "
                "Reply STOP to opt out, START to opt back in."
            ),
        },
        ("crisis_text", "sms"): {"text": "{{ crisis_text }}"},
        ("unrouted_crisis_text", "sms"): {"text": "{{ crisis_text }}"},
        ("crisis_text", "email"): {
            "subject": _("Help is there right now"),
            "text": f"{greeting}\n\n{{{{ crisis_text }}}}\n\n{sign_off_text}\n\n{my_page_text}\n",
            "html": document(
                f"<p>{greeting}</p><p>{{{{ crisis_text }}}}</p>{sign_off_html}{my_page_html}"
            ),
        },
        ("mood_ack", "sms"): {"text": _("Thanks, noted {{ rating }}/10.")},
        ("low_mood_ack", "sms"): {
            "text": _(
                "Thanks for telling us - {{ rating }}/10 sounds hard. Your coach will see "
                "this. If you need someone now: {{ crisis_text }}"
            ),
        },
        ("phone_confirmed_ack", "sms"): {
            "text": _("Thanks - this number will now get messages from {{ organisation_name }}.")
            + " "
            + opt_out,
        },
        ("done_ack", "sms"): {"text": _("Well done \u2014 '{{ action_title }}' marked done.")},
        ("journal_ack", "sms"): {"text": _("Thanks, your coach will see this.")},
        # A mood prompt not answered within the plan's window: one reminder (``supporters``).
        ("mood_prompt_reminder", "email"): email(
            _("Just checking in"),
            _(
                "We haven't heard from you today. How are you feeling, from 1 to 10? You can "
                "answer on your page."
            ),
        ),
        ("mood_prompt_reminder", "sms"): {
            "text": from_
            + _(
                "Hi {{ name }}, just checking in: how are you feeling today, from 1 to 10? "
                "Reply with a number."
            )
            + " "
            + opt_out,
        },
        # To a client's supporters: the text is fixed in ``supporters.rules``.
        **{
            (kind, channel): template
            for kind in SUPPORTER_KINDS
            for channel, template in (
                ("sms", {"text": "{{ supporter_text }} {{ link_url }}"}),
                (
                    "email",
                    {
                        "subject": _("A message from {{ organisation_name }}"),
                        "text": f"{{{{ supporter_text }}}}\n\n{{{{ link_url }}}}\n\n{sign_off_text}\n",
                        "html": document(
                            '<p>{{ supporter_text }}</p><p><a href="{{ link_url }}">'
                            + _("Your choice as a supporter")
                            + f"</a></p>{sign_off_html}"
                        ),
                    },
                ),
            )
        },
        ("safety_plan", "sms"): {"text": "{{ plan_text }}"},
        ("safety_plan_missing", "sms"): {
            "text": _(
                "You don't have a safety plan with us yet. Your coach can make one with you. "
                "If you need someone now: {{ crisis_text }}"
            ),
        },
        **_coach_alerts(document),
    }


_ESCALATION = (
    "{{ client_ref }}{% if client_phone is defined %} ({{ client_phone }}){% endif %} "
    "sent a message at {{ received_local }} that may mean they are in crisis, and nobody "
    "has acknowledged the alert for {{ minutes_open }} minutes. You are on call: please "
    "make sure someone contacts them now, then acknowledge the alert."
)


def _coach_alerts(document: Callable[[str], str]) -> dict[tuple[str, str], dict[str, str]]:
    """Alerts to a coach: in the platform's staff language (English), not the client's."""
    sign_off_text = "Warm regards,\n{{ organisation_name }}"
    sign_off_html = "<p>Warm regards,<br>{{ organisation_name }}</p>"

    def alert(subject: str, body: str) -> dict[str, str]:
        return {
            "subject": subject,
            "text": f"Hi {{{{ coach_name }}}},\n\n{body}\n\n{sign_off_text}\n",
            "html": document(f"<p>Hi {{{{ coach_name }}}},</p><p>{body}</p>{sign_off_html}"),
        }

    return {
        ("risk_alert", "email"): alert(
            "Check in with {{ client_ref }}",
            "Plans flagged {{ client_ref }} for {{ risk }}. Please check in with them soon.",
        ),
        ("review_due_alert", "email"): alert(
            "Plan review due for {{ client_ref }}",
            "The recovery plan of {{ client_ref }} is due for review on {{ review_due_on }}.",
        ),
        ("crisis_alert", "email"): alert(
            "Urgent: {{ client_ref }} may be in crisis",
            "{{ client_ref }}{% if client_phone is defined %} ({{ client_phone }}){% endif %} "
            "sent a message at {{ received_local }} that may mean they are in crisis. They "
            "have been sent the crisis line details. Please contact them now."
            '{% if words is defined %}\n\nThey wrote: "{{ words }}"{% endif %}'
            "\n\nDetails: {{ alert_url }}",
        ),
        ("crisis_alert", "sms"): {
            "text": "Urgent: {{ client_ref }}{% if client_phone is defined %} ({{ client_phone }})"
            "{% endif %} sent a message at {{ received_local }} that may mean they are in "
            "crisis. Please contact them now. {{ alert_url }}",
        },
        ("crisis_followup", "email"): alert(
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
            f"{sign_off_text}\n",
            "html": document(
                f"<p>Hello,</p><p>{_ESCALATION}</p>"
                '<p><a href="{{ alert_url }}">Acknowledge the alert</a></p>'
                f"{sign_off_html}"
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
    }


def default_templates(locale: str = DEFAULT_LOCALE) -> dict[tuple[str, str], dict[str, str]]:
    """The platform's wording in ``locale`` (a shipped catalog's name), built once per
    catalog."""
    return _built(locale, translations(locale))


@functools.lru_cache(maxsize=16)
def _built(locale: str, catalog) -> dict[tuple[str, str], dict[str, str]]:
    return _build(catalog.gettext, locale.replace("_", "-"))


DEFAULT_TEMPLATES = default_templates(DEFAULT_LOCALE)
