"""Marshmallow fields for values every service validates the same way."""

from __future__ import annotations

import functools
import zoneinfo

from marshmallow import ValidationError, fields, validate

from shared.domains import LIFE_DOMAINS


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
