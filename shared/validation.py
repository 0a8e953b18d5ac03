"""Marshmallow schemas and fields for values every service validates the same way.

Every request and response body derives from :class:`Schema`. Its text fields are **one
line** unless declared :class:`MultilineText`: a field added tomorrow refuses line breaks
and control characters without anyone remembering to ask (rules in :mod:`shared.text`).
"""

from __future__ import annotations

import functools
import zoneinfo

import marshmallow
from marshmallow import ValidationError, fields, validate

from shared.domains import LIFE_DOMAINS
from shared.text import normalise_line_ends, refused_in_free_text, refused_in_one_line


def one_line(value) -> None:
    """Validator: a single line of text (see :func:`shared.text.refused_in_one_line`)."""
    if isinstance(value, str) and (found := refused_in_one_line(value)):
        raise ValidationError(
            f"Must be one line of plain text: no line break, tab, control or direction-override "
            f"character (found {found})."
        )


def free_text(value) -> None:
    """Validator: text that may span lines (newline and tab, no other control character)."""
    if isinstance(value, str) and (found := refused_in_free_text(value)):
        raise ValidationError(
            f"Only newline and tab are allowed among control characters (found {found})."
        )


class WholeMatch(validate.Regexp):
    r"""Validator: ``regex`` matches the whole value. Marshmallow's ``Regexp`` uses
    ``re.match``, where ``$`` also matches before a trailing newline, so ``"08:00\n"``
    would pass ``^\d\d:\d\d$``. The pattern is kept as written for the OpenAPI
    document, where ``$`` is the very end (JSON Schema patterns have no ``\Z``)."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class MultilineText(fields.String):
    """Free text that may span lines: notes, descriptions, histories, message bodies.

    CRLF and CR are read as LF; every other control character but tab is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        return normalise_line_ends(super()._deserialize(value, attr, data, **kwargs))


def _guard_text(field: fields.Field) -> None:
    """Give ``field`` (and the fields inside a list, tuple or mapping) its text rule."""
    if isinstance(field, fields.String):
        rule = free_text if isinstance(field, MultilineText) else one_line
        if rule not in field.validators:
            # A new list: the field may share its list with the class-level original.
            field.validators = [*field.validators, rule]
    elif isinstance(field, fields.List):
        _guard_text(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _guard_text(inner)
    elif isinstance(field, fields.Mapping):
        for inner in (field.key_field, field.value_field):
            if inner is not None:
                _guard_text(inner)


class Schema(marshmallow.Schema):
    """The base of every API body: text fields are one line unless :class:`MultilineText`.

    Nested bodies are checked by their own schema, which derives from this one too (a
    test in ``tests/unit`` holds every service to it)."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        super().on_bind_field(field_name, field_obj)
        _guard_text(field_obj)


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class TimeZoneName(fields.String):
    """An IANA time zone name such as ``Australia/Sydney``."""

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in _known_timezones():
            raise ValidationError(f"Unknown IANA time zone: {name!r}.")
        return name


LifeDomain = functools.partial(fields.String, validate=validate.OneOf(LIFE_DOMAINS))
