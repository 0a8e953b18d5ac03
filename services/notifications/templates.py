"""Message templates per nudge kind and channel, rendered in a bounded sandbox.

Every kind has a default wording for each of its channels; an organisation may override
any of them through the API. A template is checked before it is saved: it must parse,
use only the variables its kind provides on that channel, reach for nothing the sandbox
blocks, and render the sample data within the limits: the render time limit (see
``template_sandbox``), ``EMAIL_PART_LIMIT`` for each part of an email, and
``SMS_SEGMENT_LIMIT`` for an SMS. The same limits hold when a nudge is sent: an
organisation's template that fails then gives way to the default wording, with the
reason kept. A variable that is missing or empty is an error, never an empty string.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from markupsafe import Markup, escape

from services.notifications.kinds import KINDS, SAMPLE_VARIABLES
from services.notifications.template_sandbox import (
    REMOVED_GLOBALS,
    TIME_LIMIT,
    BoundedSandbox,
    RenderLimitExceeded,
    is_blocked_attribute,
    render_budget,
)

EMAIL_PART_LIMIT = 64 * 1024  # bytes of UTF-8 in each part (subject, text, HTML) of an email
SMS_SEGMENT_LIMIT = 10  # what the large providers advise at most for one message
EMAIL_LIMIT = f"template exceeds the {EMAIL_PART_LIMIT // 1024} KB output limit"
SMS_LIMIT = f"template exceeds the {SMS_SEGMENT_LIMIT}-segment SMS limit"
# The most characters that many segments can hold, a cap while the text is written.
_SMS_CHARACTERS = SMS_SEGMENT_LIMIT * 160
NESTED_TOO_DEEPLY = "template is nested or recurses too deeply"
# How long an organisation's template that ran out of time is passed over when sending.
SLOW_TEMPLATE_MEMORY_SECONDS = 15 * 60
HTML_LANGUAGE = "en"  # the language of the default wording

_TEXT = BoundedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
_HTML = BoundedSandbox(undefined=StrictUndefined, autoescape=True, trim_blocks=True)

_OPT_OUT = "Reply STOP to opt out."
_SIGN_OFF_TEXT = "Warm regards,\n{{ organisation_name }}"
_SIGN_OFF_HTML = "<p>Warm regards,<br>{{ organisation_name }}</p>"


def html_document(body: str) -> str:
    """An HTML email part: the language and the character set declared, ``body`` inside."""
    return (
        f'<!DOCTYPE html>\n<html lang="{HTML_LANGUAGE}">\n'
        '<head><meta charset="utf-8"></head>\n'
        f"<body>{body}</body>\n</html>\n"
    )


# Every email to a client links to the client's own page (steps, mood, journal).
_MY_PAGE_TEXT = "Your page (steps, mood, a note to your coach): {{ my_page_url }}"
_MY_PAGE_HTML = (
    '<p><a href="{{ my_page_url }}">Your page</a>: this week\'s steps, your mood, '
    "a note to your coach.</p>"
)
# An action reminder's "I did it" link.
DONE_LINK_TEXT = "Done it? Tell us here: {{ done_url }}"
DONE_LINK_HTML = '<p><a href="{{ done_url }}">I did it</a></p>'
# A mood prompt's ten links, 1 to 10: drop these into any mood_prompt email.
RATING_LINKS_TEXT = "{% for url in rating_urls %}{{ loop.index }}: {{ url }}\n{% endfor %}"
RATING_LINKS_HTML = (
    '<p>{% for url in rating_urls %}<a href="{{ url }}" aria-label="{{ loop.index }} out of 10" '
    'style="display:inline-block;min-width:2.2em;padding:.4em;margin:.1em;text-align:center;'
    'border:1px solid #557;border-radius:4px">{{ loop.index }}</a>{% endfor %}</p>'
)


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
        f"{paragraphs}{html_extra}{_SIGN_OFF_HTML}{_MY_PAGE_HTML}"
        '<p style="font-size:small"><a href="{{ unsubscribe_url }}">Stop these emails</a></p>'
    )
    return {"subject": subject, "text": text, "html": html}


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
            f"{_SIGN_OFF_HTML}{_MY_PAGE_HTML}"
            '<p style="font-size:small"><a href="{{ unsubscribe_url }}">Stop these emails</a></p>'
        ),
    },
    ("weekly_digest", "sms"): {
        "text": "Hi {{ name }}, your week: "
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
        "text": "Hi {{ name }}. How are you feeling today, from 1 to 10? Reply with a number. "
        f"{_OPT_OUT}",
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
        "text": f"Hi {{{{ name }}}},\n\n{{{{ crisis_text }}}}\n\n{_SIGN_OFF_TEXT}\n\n"
        f"{_MY_PAGE_TEXT}\n",
        "html": html_document(
            f"<p>Hi {{{{ name }}}},</p><p>{{{{ crisis_text }}}}</p>{_SIGN_OFF_HTML}{_MY_PAGE_HTML}"
        ),
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
    def __init__(self, errors: dict[str, list[str]], detail: str = "The template cannot be used."):
        super().__init__(detail)
        self.errors = errors
        self.detail = detail


class TemplateRenderFailed(Exception):
    """A part of a template failed to render or overran a limit. ``reason`` carries no
    value from the variables: it is stored with the nudge and published."""

    def __init__(self, part: str, reason: str, *, over_limit: bool):
        super().__init__(f"{part}: {reason}")
        self.part = part
        self.reason = reason
        self.over_limit = over_limit


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    text: str
    html: str | None = None
    # Why the organisation's own template was not used, when it was not.
    fallback_reason: str | None = None


def template_parts(channel: str) -> tuple[str, ...]:
    return ("subject", "text", "html") if channel == "email" else ("text",)


# Filters that read an attribute named by an argument (``attribute=`` everywhere; the
# first argument for these).
_ATTRIBUTE_FILTERS = {"attr", "selectattr", "rejectattr", "groupby"}
_INCLUDES = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
_REFUSED_NAMES = frozenset({"self", *REMOVED_GLOBALS})


def _attribute_names(node: nodes.Filter | nodes.Test) -> list[str]:
    named = [kw.value for kw in node.kwargs if kw.key == "attribute"]
    if node.name in _ATTRIBUTE_FILTERS and node.args:
        named.append(node.args[0])
    return [
        part
        for value in named
        if isinstance(value, nodes.Const) and isinstance(value.value, str)
        for part in value.value.split(".")
    ]


def _refusals(ast: nodes.Template) -> list[str]:
    """What the sandbox would refuse at render time, found in the template's source."""
    found: set[str] = set()
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load" and (name.name in _REFUSED_NAMES or name.name.startswith("_")):
            found.add(f"'{name.name}' is not available in templates.")
    attributes = [node.attr for node in ast.find_all(nodes.Getattr)]
    attributes += [
        node.arg.value
        for node in ast.find_all(nodes.Getitem)
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)
    ]
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        attributes += _attribute_names(node)
    found.update(
        f"Attribute '{name}' is blocked by the sandbox."
        for name in attributes
        if is_blocked_attribute(name)
    )
    if ast.find(_INCLUDES) is not None:
        found.add("A template cannot extend, include or import another.")
    return sorted(found)


def _env(part: str) -> BoundedSandbox:
    return _HTML if part == "html" else _TEXT


def check_template(kind: str, channel: str, parts: dict[str, str | None]) -> RenderedMessage:
    """Refuse a template that does not parse, uses a variable its kind lacks on the
    channel, reaches for what the sandbox blocks, or fails or overruns a limit with the
    sample data. Returns the sample rendering, as a preview shows it."""
    allowed = KINDS[kind].variables_on(channel)
    errors: dict[str, list[str]] = {}
    for part in template_parts(channel):
        source = parts.get(part)
        if source is None:
            continue
        try:
            ast = _env(part).parse(source)
            problems = _refusals(ast)
            unknown = sorted(meta.find_undeclared_variables(ast) - allowed)
        except TemplateSyntaxError as exc:
            errors[part] = [f"Syntax error on line {exc.lineno}: {exc.message}"]
            continue
        except RecursionError:
            errors[part] = [f"{NESTED_TOO_DEEPLY.capitalize()}."]
            continue
        if unknown:
            problems.append(
                f"Unknown variable(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}."
            )
        if problems:
            errors[part] = problems
    if errors:
        raise TemplateInvalid(errors)
    try:
        return _finished(channel, render_parts(parts, sample_variables(kind, channel), channel))
    except TemplateRenderFailed as exc:
        what = "exceeds a limit" if exc.over_limit else "fails to render with the sample data"
        raise TemplateInvalid(
            {exc.part: [exc.reason]}, f"The {exc.part} template {what}: {exc.reason}."
        ) from exc


@functools.lru_cache(maxsize=1024)
def _compiled(html: bool, source: str) -> Template:
    """Compiling is the costly part of rendering; a template's source rarely changes."""
    return (_HTML if html else _TEXT).from_string(source)


def _reason(exc: Exception) -> str:
    """Why a render failed, in words that hold no value of a variable."""
    if isinstance(exc, RenderLimitExceeded):
        return str(exc)
    if isinstance(exc, TemplateSyntaxError):
        return f"template has a syntax error on line {exc.lineno}: {exc.message}"
    if isinstance(exc, (UndefinedError, SecurityError)):
        return f"template fails to render: {exc.message}"
    if isinstance(exc, RecursionError):
        return NESTED_TOO_DEEPLY
    return f"template fails to render ({type(exc).__name__})"


def _check_output(channel: str, text: str) -> None:
    if channel == "sms":
        if sms_segments(text).segments > SMS_SEGMENT_LIMIT:
            raise RenderLimitExceeded(SMS_LIMIT)
    elif len(text) * 4 > EMAIL_PART_LIMIT and len(text.encode("utf-8")) > EMAIL_PART_LIMIT:
        raise RenderLimitExceeded(EMAIL_LIMIT)


def render_parts(
    parts: Mapping[str, str | None], variables: Mapping, channel: str
) -> RenderedMessage:
    """Render each part with one time budget for them all; raise
    :class:`TemplateRenderFailed` naming the part that failed. A variable that is None
    or empty counts as missing: the template fails rather than say nothing."""
    values = {name: value for name, value in variables.items() if value is not None and value != ""}
    output_limit = (
        (_SMS_CHARACTERS, SMS_LIMIT) if channel == "sms" else (EMAIL_PART_LIMIT, EMAIL_LIMIT)
    )
    rendered: dict[str, str | None] = {}
    with render_budget() as budget:
        for part in template_parts(channel):
            source = parts.get(part)
            if not source:
                rendered[part] = None
                continue
            budget.start_part(*output_limit)
            try:
                text = _compiled(part == "html", source).render(values)
                _check_output(channel, text)
            except Exception as exc:  # whatever the template did, this part failed
                raise TemplateRenderFailed(
                    part, _reason(exc), over_limit=isinstance(exc, RenderLimitExceeded)
                ) from exc
            rendered[part] = text
    return RenderedMessage(rendered.get("subject"), rendered["text"] or "", rendered.get("html"))


def default_parts(kind: str, channel: str) -> dict[str, str | None]:
    template = DEFAULT_TEMPLATES[(kind, channel)]
    return {part: template.get(part) for part in template_parts(channel)}


class _SlowTemplates:
    """Organisations' templates that recently ran out of render time. Each try costs the
    dispatcher the whole time limit, so for a while the nudges of such a template go
    straight to the default wording, and a tenant with many clients cannot hold up the
    others a second per nudge. Kept per process, a few hundred at most."""

    def __init__(self, seconds: float = SLOW_TEMPLATE_MEMORY_SECONDS, kept: int = 256):
        self._seconds = seconds
        self._kept = kept
        self._reasons: OrderedDict[tuple, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()  # the dispatcher renders on several threads

    def reason_for(self, key: tuple) -> str | None:
        with self._lock:
            reason, until = self._reasons.get(key, (None, 0.0))
            if reason is not None and time.monotonic() > until:
                del self._reasons[key]
                return None
            return reason

    def remember(self, key: tuple, reason: str) -> None:
        with self._lock:
            self._reasons[key] = (reason, time.monotonic() + self._seconds)
            self._reasons.move_to_end(key)
            while len(self._reasons) > self._kept:
                self._reasons.popitem(last=False)


_SLOW_TEMPLATES = _SlowTemplates()


def render(
    kind: str,
    channel: str,
    variables: Mapping,
    override: Mapping[str, str | None] | None = None,
) -> RenderedMessage:
    """Render a kind on a channel with an organisation's own parts if it has them.

    If those fail or overrun a limit, the default wording goes instead and
    ``fallback_reason`` says why; if the default fails too, :class:`TemplateRenderFailed`.
    """
    fallback_reason = None
    if override is not None:
        key = (channel, *(override.get(part) for part in template_parts(channel)))
        fallback_reason = _SLOW_TEMPLATES.reason_for(key)
        if fallback_reason is None:
            try:
                return _finished(channel, render_parts(override, variables, channel))
            except TemplateRenderFailed as exc:
                fallback_reason = (
                    f"default wording used: the organisation's {exc.part} template "
                    f"{exc.reason.removeprefix('template ')}"
                )
                if exc.reason == TIME_LIMIT:
                    _SLOW_TEMPLATES.remember(key, fallback_reason)
    rendered = _finished(channel, render_parts(default_parts(kind, channel), variables, channel))
    return replace(rendered, fallback_reason=fallback_reason)


_DOCUMENT = re.compile(r"\s*(<!doctype|<html)", re.IGNORECASE)


def _finished(channel: str, rendered: RenderedMessage) -> RenderedMessage:
    """An email always has an HTML part, a whole document that declares its language
    and character set (an organisation's fragment is put in one)."""
    if channel != "email":
        return rendered
    if not rendered.html:
        return replace(rendered, html=_html_from_text(rendered.text))
    if not _DOCUMENT.match(rendered.html):
        return replace(rendered, html=html_document(rendered.html))
    return rendered


def _html_from_text(text: str) -> str:
    paragraphs = "".join(
        f"<p>{escape(block).replace(chr(10), Markup('<br>'))}</p>" for block in text.split("\n\n")
    )
    return html_document(paragraphs)


def sample_variables(kind: str, channel: str) -> dict:
    """The sample data of the variables a kind provides on a channel."""
    provided = KINDS[kind].variables_on(channel)
    return {name: value for name, value in SAMPLE_VARIABLES.items() if name in provided}


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
