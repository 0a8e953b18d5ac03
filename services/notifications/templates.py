"""Message templates per nudge kind and channel, rendered in a sandboxed Jinja2.

Every kind has a default wording for each of its channels; an organisation may override
any of them through the API. A template is checked before it is saved: it must parse, and
may use only the variables its kind provides.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from services.notifications.kinds import KINDS, SAMPLE_VARIABLES

_TEXT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
_HTML = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, trim_blocks=True)

_OPT_OUT = "Reply STOP to opt out."


def _email(subject: str, body: str) -> dict[str, str]:
    text = f"Hi {{{{ name }}}},\n\n{body}\n\nTo stop these emails: {{{{ unsubscribe_url }}}}\n"
    paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n\n"))
    html = (
        "<html><body><p>Hi {{ name }},</p>"
        f"{paragraphs}"
        '<p style="font-size:small"><a href="{{ unsubscribe_url }}">Stop these emails</a></p>'
        "</body></html>"
    )
    return {"subject": subject, "text": text, "html": html}


def _alert(subject: str, body: str) -> dict[str, str]:
    return {
        "subject": subject,
        "text": f"Hi {{{{ coach_name }}}},\n\n{body}\n",
        "html": f"<html><body><p>Hi {{{{ coach_name }}}},</p><p>{body}</p></body></html>",
    }


# How the digest greets the week's steps: all done, some, or none yet.
_ENCOURAGEMENT = (
    '{{ " - every one of them. Well done!" if steps_done == steps_planned else '
    '(". Every step counts." if steps_done else ". That\'s okay - each week is a fresh start.") }}'
)

DEFAULT_TEMPLATES: dict[tuple[str, str], dict[str, str]] = {
    ("welcome", "email"): _email(
        "Welcome to {{ organisation_name }}, {{ name }}",
        "Welcome aboard. Your coach will be in touch soon to start working on your "
        "recovery plan together, at your pace.\n\n"
        "We will send you the occasional reminder and note of encouragement.",
    ),
    ("welcome", "sms"): {
        "text": "Hi {{ name }}, welcome to {{ organisation_name }}. Your coach will be in "
        f"touch soon. {_OPT_OUT}",
    },
    ("plan_ready", "email"): _email(
        "Your recovery plan is ready",
        "The plan you and your coach worked out is ready, with {{ goal_count }} goals to "
        "start with. Take it one step at a time.",
    ),
    ("plan_ready", "sms"): {
        "text": "Hi {{ name }}, your recovery plan with {{ organisation_name }} is ready. "
        f"One step at a time. {_OPT_OUT}",
    },
    ("action_reminder", "email"): _email(
        "Reminder: {{ action_title }}",
        "A gentle reminder of your next step: {{ action_title }}, {{ due_local }}.",
    ),
    ("action_reminder", "sms"): {
        "text": f"Hi {{{{ name }}}}, a reminder: {{{{ action_title }}}}, {{{{ due_local }}}}. "
        f"{_OPT_OUT}",
    },
    ("checkin_reminder", "email"): _email(
        "Your check-in on {{ starts_local }}",
        "Your check-in with your coach is on {{ starts_local }} ({{ mode }}, "
        "{{ duration_minutes }} minutes).",
    ),
    ("checkin_reminder", "sms"): {
        "text": f"Hi {{{{ name }}}}, your check-in is {{{{ starts_local }}}} ({{{{ mode }}}}). "
        f"{_OPT_OUT}",
    },
    ("goal_celebration", "email"): _email(
        "You did it: {{ goal_title }}",
        "You reached your goal: {{ goal_title }}. That took real effort - well done.",
    ),
    ("goal_celebration", "sms"): {
        "text": f"Well done {{{{ name }}}}! You reached your goal: {{{{ goal_title }}}}. "
        f"{_OPT_OUT}",
    },
    ("checkin_missed", "email"): _email(
        "We missed you",
        "We missed you at your check-in. That's okay - your coach will reach out to find "
        "a time that suits you.",
    ),
    ("checkin_missed", "sms"): {
        "text": "Hi {{ name }}, we missed you at your check-in. That's okay - your coach "
        f"will be in touch. {_OPT_OUT}",
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
        "text": """Hi {{ name }},

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
{% if next_checkin %}

Your next check-in: {{ next_checkin }}.
{% endif %}

Take care,
{{ organisation_name }}

To stop these emails: {{ unsubscribe_url }}
""".replace("{{ encouragement }}", _ENCOURAGEMENT),
        "html": (
            "<html><body><p>Hi {{ name }},</p><p>Here is your week.</p>"
            "{% if steps_planned %}<p>You did {{ steps_done }} of the {{ steps_planned }} steps "
            f"you planned{_ENCOURAGEMENT}</p>{{% endif %}}"
            "{% if goals_achieved %}<p>{% for goal in goals_achieved %}"
            "You reached your goal: <strong>{{ goal }}</strong>.<br>{% endfor %}"
            "{% if goals_achieved_count > goals_achieved|length %}"
            "And {{ goals_achieved_count - goals_achieved|length }} more besides.<br>{% endif %}"
            "That took real effort.</p>{% endif %}"
            "{% if next_steps %}<p>Coming up:</p><ul>{% for step in next_steps %}"
            "<li>{{ step.title }}, {{ step.when }}</li>{% endfor %}</ul>{% endif %}"
            "{% if next_checkin %}<p>Your next check-in: {{ next_checkin }}.</p>{% endif %}"
            "<p>Take care,<br>{{ organisation_name }}</p>"
            '<p style="font-size:small"><a href="{{ unsubscribe_url }}">Stop these emails</a></p>'
            "</body></html>"
        ),
    },
    ("weekly_digest", "sms"): {
        "text": "Hi {{ name }}, your week: "
        "{% if steps_planned %}{{ steps_done }} of {{ steps_planned }} steps done"
        "{% if steps_done == steps_planned %} - well done!{% else %}.{% endif %} {% endif %}"
        "{% if goals_achieved_count %}Goals reached: {{ goals_achieved_count }}. {% endif %}"
        "{% if next_steps %}Next: {{ next_steps[0].title|truncate(60) }}, {{ next_steps[0].when }}. "
        "{% endif %}"
        "{% if next_checkin %}Check-in: {{ next_checkin }}. {% endif %}" + _OPT_OUT,
    },
    ("opt_out_confirmation", "sms"): {
        "text": "You will get no more messages from {{ organisation_name }}. "
        "Reply START to opt back in.",
    },
    ("opt_in_confirmation", "sms"): {
        "text": "You will get messages from {{ organisation_name }} again. Reply STOP to opt out.",
    },
    ("help_reply", "sms"): {
        "text": "{{ organisation_name }}: reach us at {{ help_contact }}. "
        "Reply STOP to opt out, START to opt back in.",
    },
    ("crisis_text", "sms"): {"text": "{{ crisis_text }}"},
    ("crisis_text", "email"): {
        "subject": "Help is there right now",
        "text": "{{ crisis_text }}\n",
        "html": "<html><body><p>{{ crisis_text }}</p></body></html>",
    },
    ("mood_ack", "sms"): {"text": "Thanks, noted {{ rating }}/10."},
    ("done_ack", "sms"): {"text": "Well done \u2014 '{{ action_title }}' marked done."},
    ("journal_ack", "sms"): {"text": "Thanks, your coach will see this."},
    ("crisis_alert", "email"): _alert(
        "Urgent: crisis message from {{ client_ref }}",
        "{{ client_ref }} has just sent a message that may mean they are in crisis. They have "
        "been sent the crisis line details. Please contact them now; their plan's journal "
        "has the message.",
    ),
    ("crisis_alert", "sms"): {
        "text": "Urgent: {{ client_ref }} sent a message that may mean they are in crisis. "
        "Please contact them now; the plan's journal has it.",
    },
}


class TemplateInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("template is invalid")
        self.errors = errors


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    text: str
    html: str | None = None


def template_parts(channel: str) -> tuple[str, ...]:
    return ("subject", "text", "html") if channel == "email" else ("text",)


def check_template(kind: str, channel: str, parts: dict[str, str | None]) -> None:
    """Refuse a template that does not parse or uses a variable its kind lacks."""
    allowed = KINDS[kind].allowed_variables
    errors: dict[str, list[str]] = {}
    for part in template_parts(channel):
        source = parts.get(part)
        if source is None:
            continue
        env = _HTML if part == "html" else _TEXT
        try:
            used = meta.find_undeclared_variables(env.parse(source))
        except TemplateSyntaxError as exc:
            errors[part] = [f"Syntax error on line {exc.lineno}: {exc.message}"]
            continue
        unknown = sorted(used - allowed)
        if unknown:
            errors[part] = [
                f"Unknown variable(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}."
            ]
    if errors:
        raise TemplateInvalid(errors)


@functools.lru_cache(maxsize=1024)
def _compiled(html: bool, source: str) -> Template:
    """Compiling is the costly part of rendering; a template's source rarely changes."""
    return (_HTML if html else _TEXT).from_string(source)


def render_parts(parts: dict[str, str | None], variables: dict) -> RenderedMessage:
    def _render(env: SandboxedEnvironment, source: str | None) -> str | None:
        return _compiled(env is _HTML, source).render(variables) if source else None

    return RenderedMessage(
        subject=_render(_TEXT, parts.get("subject")),
        text=_render(_TEXT, parts["text"]) or "",
        html=_render(_HTML, parts.get("html")),
    )


def default_parts(kind: str, channel: str) -> dict[str, str | None]:
    template = DEFAULT_TEMPLATES[(kind, channel)]
    return {part: template.get(part) for part in template_parts(channel)}


def render(kind: str, channel: str, variables: dict, override=None) -> RenderedMessage:
    """Render a kind on a channel with an organisation's override if it has one."""
    parts = (
        {"subject": override.subject, "text": override.text, "html": override.html}
        if override is not None
        else default_parts(kind, channel)
    )
    values = {name: "" for name in KINDS[kind].allowed_variables} | variables
    try:
        rendered = render_parts(parts, values)
    except Exception:  # a saved override that fails at render time: the default still goes
        if override is None:
            raise
        return render(kind, channel, variables)
    if channel == "email" and not rendered.html:
        rendered = RenderedMessage(rendered.subject, rendered.text, _html_from_text(rendered.text))
    return rendered


def _html_from_text(text: str) -> str:
    paragraphs = "".join(
        f"<p>{escape(block).replace(chr(10), Markup('<br>'))}</p>" for block in text.split("\n\n")
    )
    return f"<html><body>{paragraphs}</body></html>"


def sample_variables() -> dict:
    return dict(SAMPLE_VARIABLES)


# -- SMS segments -----------------------------------------------------------------------

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSegments:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def sms_segments(text: str) -> SmsSegments:
    """How many segments an SMS takes (GSM 03.38; UCS-2 when any character is outside it)."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return SmsSegments(encoding, units, segments)
