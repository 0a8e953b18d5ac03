"""Message templates per nudge kind and channel: checked, and rendered in a bounded sandbox.

Every kind has a default wording for each of its channels (``wording``); an organisation
may override any of them through the API. A template is checked before it is saved: it must parse,
use only the variables its kind provides on that channel, reach for nothing the sandbox
blocks, and render the sample data within the limits: the render time limit (see
``template_sandbox``), ``EMAIL_PART_LIMIT`` for each part of an email, and
``SMS_SEGMENT_LIMIT`` for an SMS. The same limits hold when a nudge is sent: an
organisation's template that fails then gives way to the default wording, with the
reason kept. A variable that is missing or empty is an error, never an empty string.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from markupsafe import Markup, escape

from services.notifications.wording.defaults import (
    DEFAULT_TEMPLATES,
    PLURAL_FUNCTION,
    default_templates,
    html_document,
)
from services.notifications.wording.kinds import KINDS, SAMPLE_VARIABLES
from services.notifications.wording.locales import DEFAULT_LOCALE, translations
from services.notifications.wording.sandbox import (
    REMOVED_GLOBALS,
    TIME_LIMIT,
    BoundedSandbox,
    RenderLimitExceeded,
    is_blocked_attribute,
    render_budget,
)
from services.notifications.wording.segments import sms_segments

EMAIL_PART_LIMIT = 64 * 1024  # bytes of UTF-8 in each part (subject, text, HTML) of an email
SMS_SEGMENT_LIMIT = 10  # what the large providers advise at most for one message
EMAIL_LIMIT = f"template exceeds the {EMAIL_PART_LIMIT // 1024} KB output limit"
SMS_LIMIT = f"template exceeds the {SMS_SEGMENT_LIMIT}-segment SMS limit"
# The most characters that many segments can hold, a cap while the text is written.
_SMS_CHARACTERS = SMS_SEGMENT_LIMIT * 160
NESTED_TOO_DEEPLY = "template is nested or recurses too deeply"
# How long an organisation's template that ran out of time is passed over when sending.
SLOW_TEMPLATE_MEMORY_SECONDS = 15 * 60

_TEXT = BoundedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
_HTML = BoundedSandbox(undefined=StrictUndefined, autoescape=True, trim_blocks=True)


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
    # The language it was written in (``locales``).
    locale: str = DEFAULT_LOCALE


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


def check_template(
    kind: str, channel: str, parts: dict[str, str | None], locale: str = DEFAULT_LOCALE
) -> RenderedMessage:
    """Refuse a template that does not parse, uses a variable its kind lacks on the
    channel, reaches for what the sandbox blocks, or fails or overruns a limit with the
    sample data. Returns the sample rendering, as a preview shows it. Every template may
    call ``ngettext`` (the catalog of ``locale``'s plural forms)."""
    allowed = KINDS[kind].variables_on(channel) | {PLURAL_FUNCTION}
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
        return _finished(
            channel, render_parts(parts, sample_variables(kind, channel), channel, locale), locale
        )
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
    parts: Mapping[str, str | None],
    variables: Mapping,
    channel: str,
    locale: str = DEFAULT_LOCALE,
) -> RenderedMessage:
    """Render each part with one time budget for them all; raise
    :class:`TemplateRenderFailed` naming the part that failed. A variable that is None
    or empty counts as missing: the template fails rather than say nothing. Plurals
    (``ngettext``) follow ``locale``'s catalog."""
    values = {name: value for name, value in variables.items() if value is not None and value != ""}
    values[PLURAL_FUNCTION] = translations(locale).ngettext
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
    return RenderedMessage(
        rendered.get("subject"), rendered["text"] or "", rendered.get("html"), locale=locale
    )


def default_parts(kind: str, channel: str, locale: str = DEFAULT_LOCALE) -> dict[str, str | None]:
    """The platform's wording of a kind on a channel in ``locale`` (a shipped catalog)."""
    template = default_templates(locale)[(kind, channel)]
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
    locale: str = DEFAULT_LOCALE,
    default_locale: str | None = None,
) -> RenderedMessage:
    """Render a kind on a channel with an organisation's own parts if it has them, in
    ``locale`` (the organisation's template's language, or a shipped catalog).

    If those fail or overrun a limit, the default wording goes instead (in
    ``default_locale``, the first shipped language of the client's chain, when ``locale``
    has no catalog) and ``fallback_reason`` says why; if the default fails too,
    :class:`TemplateRenderFailed`.
    """
    fallback_reason = None
    if override is not None:
        key = (channel, *(override.get(part) for part in template_parts(channel)))
        fallback_reason = _SLOW_TEMPLATES.reason_for(key)
        if fallback_reason is None:
            try:
                return _finished(
                    channel, render_parts(override, variables, channel, locale), locale
                )
            except TemplateRenderFailed as exc:
                fallback_reason = (
                    f"default wording used: the organisation's {exc.part} template "
                    f"{exc.reason.removeprefix('template ')}"
                )
                if exc.reason == TIME_LIMIT:
                    _SLOW_TEMPLATES.remember(key, fallback_reason)
    shipped = default_locale or locale
    rendered = _finished(
        channel,
        render_parts(default_parts(kind, channel, shipped), variables, channel, shipped),
        shipped,
    )
    return replace(rendered, fallback_reason=fallback_reason)


__all__ = ["DEFAULT_TEMPLATES", "render", "check_template", "default_parts"]

_DOCUMENT = re.compile(r"\s*(<!doctype|<html)", re.IGNORECASE)


def _finished(
    channel: str, rendered: RenderedMessage, locale: str = DEFAULT_LOCALE
) -> RenderedMessage:
    """An email always has an HTML part, a whole document that declares its language
    and character set (an organisation's fragment is put in one)."""
    if channel != "email":
        return rendered
    lang = _html_lang(locale)
    if not rendered.html:
        return replace(rendered, html=_html_from_text(rendered.text, lang))
    if not _DOCUMENT.match(rendered.html):
        return replace(rendered, html=html_document(rendered.html, lang))
    return rendered


def _html_lang(locale: str) -> str:
    return locale.replace("_", "-")


def _html_from_text(text: str, lang: str) -> str:
    paragraphs = "".join(
        f"<p>{escape(block).replace(chr(10), Markup('<br>'))}</p>" for block in text.split("\n\n")
    )
    return html_document(paragraphs, lang)


def sample_variables(kind: str, channel: str) -> dict:
    """The sample data of the variables a kind provides on a channel."""
    provided = KINDS[kind].variables_on(channel)
    return {name: value for name, value in SAMPLE_VARIABLES.items() if name in provided}
