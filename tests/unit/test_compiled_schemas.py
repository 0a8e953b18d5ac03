"""The compiled schemas give marshmallow's answer, exactly, for every schema of the catalogue.

For each schema a valid event is built from its fields, then every value in it, at every
depth, is replaced in turn by each of a list of awkward values (wrong types, strings
marshmallow would coerce, out-of-range numbers, odd UUID spellings, naive times), removed,
or joined by an unknown key. Compiled and plain marshmallow must return the same data,
with the same types, or raise the same errors.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from shared.events import CATALOGUE, new_envelope, parse_envelope
from shared.events.compiled import CompiledSchema
from shared.events.data import ABSENT
from shared.events.envelope import EnvelopeSchema

SCHEMAS = {"envelope": EnvelopeSchema} | {
    f"{spec.type} v{version}": schema
    for spec in CATALOGUE.values()
    for version, schema in spec.versions.items()
}

_ID = uuid.UUID("6bd4b936-1611-4e3a-b246-ea526bb468ab")
AWKWARD = [
    None,
    "",
    "text",
    "  ",
    "\u00e9t\u00e9",
    "x" * 2000,
    0,
    1,
    2,
    -1,
    10,
    11,
    50,
    71,
    10**30,
    1.0,
    1.5,
    True,
    False,
    "1",
    "0",
    "true",
    "yes",
    "off",
    [],
    ["text"],
    [None],
    {},
    {"a": 1},
    str(_ID),
    str(_ID).upper(),
    _ID.hex,
    f"urn:uuid:{_ID}",
    f"{{{_ID}}}",
    "2026-11-30T10:00:00",
    "2026-11-30T10:00:00Z",
    "2026-11-30T10:00:00.123456789+01:00",
    "2026-11-30",
    "person@example.org",
    "not-an-email",
    "a@b",
    "housing",
    "HOUSING",
    "mon",
    "email",
    "coach",
    "12:30",
    "25:00",
    "12:30\n",
    "intake",
]
TEXTS = ("text", "person@example.org", "12:30", "0123456789abcdef")


def _valid(field: fields.Field):
    """A value the field accepts, built from its kind and validators."""
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
    if isinstance(field, fields.Nested):
        return _valid_object(field.schema)
    if isinstance(field, fields.List):
        return [_valid(field.inner)]
    if isinstance(field, fields.Dict):
        if field.key_field is None:
            return {"a": 1}
        return {_valid(field.key_field): _valid(field.value_field)}
    if isinstance(field, fields.UUID):
        return str(uuid.uuid4())
    if isinstance(field, fields.Integer):
        ranges = [v for v in field.validators if isinstance(v, validate.Range)]
        return ranges[0].min if ranges and ranges[0].min is not None else 3
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.DateTime):
        return "2026-11-30T10:00:00+00:00"
    if isinstance(field, fields.Date):
        return "2026-11-30"
    for text in TEXTS:
        try:
            field.deserialize(text)
            return text
        except ValidationError:
            continue
    raise AssertionError(f"no valid value known for {field!r}")


def _valid_object(schema: Schema) -> dict:
    return {
        field.data_key or name: _valid(field)
        for name, field in schema.load_fields.items()
        if field.required or field.load_default is not None
    } | {
        # the optional fields too, so that each is also exercised when present
        field.data_key or name: _valid(field)
        for name, field in schema.load_fields.items()
    }


def _paths(value, path=()) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _paths(item, (*path, index))


def _variants(sample: dict) -> Iterator[dict]:
    yield sample
    yield {**sample, "unknown_field": 1}
    for path in list(_paths(sample)):
        *parents, last = path
        for value in [*AWKWARD, "<removed>", "<unknown beside>"]:
            variant = copy.deepcopy(sample)
            holder = variant
            for step in parents:
                holder = holder[step]
            if value == "<removed>":
                if isinstance(holder, dict):
                    del holder[last]
            elif value == "<unknown beside>":
                if isinstance(holder, dict):
                    holder["unknown_field"] = "x"
            else:
                holder[last] = value
            yield variant


def _typed(value):
    """A value with the type of every part spelt out (``1 == True`` must not pass)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat(), str(value.tzinfo))
    return (type(value).__name__, value)


def _outcome(load, data):
    try:
        return "ok", _typed(load(data))
    except ValidationError as exc:
        return "error", exc.messages


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_compiled_load_and_dump_answer_as_marshmallow_does(name):
    schema = SCHEMAS[name]()
    compiled = CompiledSchema(SCHEMAS[name]())
    sample = _valid_object(schema)
    if name == "envelope":
        sample |= {"type": "client.erased", "producer": "intake"}
    assert _outcome(schema.load, sample)[0] == "ok", schema.load(sample)
    checked = 0
    for variant in _variants(sample):
        original = copy.deepcopy(variant)
        expected = _outcome(schema.load, variant)
        assert _outcome(compiled.load, variant) == expected, variant
        assert variant == original  # the input is left as it was
        if expected[0] == "ok":
            loaded = schema.load(variant)
            assert _typed(compiled.dump(loaded)) == _typed(schema.dump(loaded)), variant
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_a_well_formed_event_never_needs_marshmallow(name):
    """The speed is in the compiled path: an event as producers write it stays on it."""
    compiled = CompiledSchema(SCHEMAS[name]())
    sample = _valid_object(compiled.schema)
    if name == "envelope":
        sample |= {"type": "client.erased", "producer": "intake"}
    loaded = compiled._load(sample)
    assert _typed(compiled._dump(loaded)) == _typed(compiled.schema.dump(loaded))


def test_an_event_published_and_consumed_goes_through_compiled_schemas_unchanged():
    envelope = new_envelope(
        "client.onboarded",
        uuid.uuid4(),
        {
            "client_id": uuid.uuid4(),
            "coach_id": uuid.uuid4(),
            "timezone": "Europe/London",
            "family_name": "Doe",
            "contact": {
                "given_name": "Ana",
                "email": "ana@example.org",
                "timezone": "Europe/London",
                "consent": {"email": True, "sms": False},
                "preferred_channels": ["sms", "email"],
            },
            "assessment": {
                "version": 1,
                "domain_ratings": {"housing": 5, "work_study": 7},
                "aspirations": [{"domain": "housing", "text": "A flat"}],
                "k10": {"total": 22, "band": "moderate"},
            },
        },
        producer="intake",
        occurred_at=dt.datetime.now(dt.UTC),
    )
    import json

    body = json.dumps(envelope).encode()
    parsed = parse_envelope(body)
    schema = CATALOGUE["client.onboarded"].versions[1]()
    assert _typed(parsed.data) == _typed(schema.load(envelope["data"]))
    assert parsed.data.contact.locale == "en"
    assert parsed.data.external_reference is ABSENT  # absent, not defaulted
