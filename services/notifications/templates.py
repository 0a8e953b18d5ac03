"""Message templates per nudge kind and channel, rendered in a sandboxed Jinja2."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)

DEFAULT_TEMPLATES: dict[tuple[str, str], dict[str, str]] = {
    ("welcome", "email"): {
        "subject": "Welcome to {{ organisation_name }}, {{ name }}",
        "text": (
            "Hi {{ name }},\n\n"
            "Welcome aboard. Your coach will be in touch soon to start working on your\n"
            "recovery plan together, at your pace.\n\n"
            "We will send you the occasional reminder and note of encouragement.\n"
            "You can stop these emails at any time: {{ unsubscribe_url }}\n"
        ),
    },
    ("welcome", "sms"): {
        "text": "Hi {{ name }}, welcome to {{ organisation_name }}. Your coach will be in "
        "touch soon. Reply STOP to opt out.",
    },
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    text: str


def render(kind: str, channel: str, variables: dict) -> RenderedMessage:
    template = DEFAULT_TEMPLATES[(kind, channel)]
    subject = template.get("subject")
    return RenderedMessage(
        subject=_ENV.from_string(subject).render(variables) if subject else None,
        text=_ENV.from_string(template["text"]).render(variables),
    )
