"""Marshmallow schemas compiled to plain functions for the shapes events take on the wire.

Every consumed event is validated twice (envelope, payload) and every published one
loaded and dumped: through marshmallow's general machinery that cost more than the rest
of a small event's handling. A :class:`CompiledSchema` walks the same fields with the
same rules in straight-line code, but only for the plain JSON each field expects (a
``str`` for a string or UUID, an ``int`` for an integer, a ``bool`` for a boolean, a
``list``, a ``dict``), calling the field's own validators. Whenever it is not sure (a
value of another type, a validator saying no, a field kind it does not know) it hands the
whole input to marshmallow, which stays the judge: what is accepted, what comes out and
every error message are marshmallow's own. ``tests/unit/test_compiled_schemas.py``
compares the two on every schema of the catalogue. A payload schema's one hook, the
``post_load`` that builds its dataclass (``loads_into``), is compiled too, and a dump takes
that dataclass as it takes a dict.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, missing
from marshmallow.decorators import POST_LOAD

# Field kinds whose deserialisation is left to the field itself (dates and times parse
# strings); the schema around them is still compiled.
_DELEGATED = (fields.DateTime, fields.Date, fields.Time)


class _Unsure(Exception):
    """The compiled path cannot vouch for this input: ask marshmallow."""


class CompiledSchema:
    """``load`` and ``dump`` of a schema instance: compiled where it can be, marshmallow's
    own otherwise and whenever the input is not of the plain kind."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self._load = _schema_loader(schema)
        self._dump = _schema_dumper(schema)
        #: The keys a producer may send (its ``data_key`` or name, per field).
        self.keys = frozenset(field.data_key or name for name, field in schema.fields.items())

    def load(self, data: Any) -> Any:
        """As ``schema.load(data)``: the same result, or the same ``ValidationError``."""
        if self._load is not None:
            try:
                return self._load(data)
            except Exception:  # any doubt at all: marshmallow decides, and says why
                pass
        return self.schema.load(data)

    def dump(self, obj: Any) -> Any:
        """As ``schema.dump(obj)``."""
        if self._dump is not None:
            try:
                return self._dump(obj)
            except Exception:
                pass
        return self.schema.dump(obj)


# The hook of ``shared.events.payloads.Payload`` that builds the schema's dataclass.
_INTO_DATACLASS = "_into_dataclass"


def _loads_into(schema: Schema) -> type | None:
    """The dataclass the schema's one ``post_load`` builds, if that is its only hook."""
    return getattr(schema, "loads_into", None)


def _plain(schema: Schema) -> bool:
    """A schema with no behaviour of its own beyond its fields (and the building of its
    dataclass, if it has one)."""
    hooks = {tag: list(found) for tag, found in schema._hooks.items() if found}
    if hooks.get(POST_LOAD) == [(_INTO_DATACLASS, False, {"pass_original": False})]:
        del hooks[POST_LOAD]
    return (
        not schema.many
        and not schema.partial
        and not hooks  # pre/post load and dump, validates(_schema)
        and schema.dict_class is dict
        and type(schema).get_attribute is Schema.get_attribute
    )


def _schema_loader(schema: Schema) -> Callable[[Any], dict] | None:
    if not _plain(schema) or schema.unknown not in (EXCLUDE, RAISE):
        return None
    steps = []
    for name, field in schema.load_fields.items():
        load_value = _field_loader(field)
        target = field.attribute or name
        if load_value is None or "." in target:  # a dotted attribute nests: not ours
            return None
        key = field.data_key if field.data_key is not None else name
        steps.append((key, target, field.required, field.load_default, load_value))
    known = frozenset(step[0] for step in steps)
    refuse_unknown = schema.unknown == RAISE
    into = _loads_into(schema)

    def load(data: Any) -> Any:
        if type(data) is not dict or (refuse_unknown and not known.issuperset(data)):
            raise _Unsure
        result = {}
        for key, target, required, default, load_value in steps:
            if key in data:
                result[target] = load_value(data[key])
            elif required:
                raise _Unsure
            elif default is not missing:
                result[target] = default() if callable(default) else default
        return result if into is None else into(**result)

    return load


def _field_loader(field: fields.Field) -> Callable[[Any], Any] | None:
    """A function from a present value to the field's output (``_Unsure`` if in doubt)."""
    if field.pre_load or field.post_load:
        return None
    convert = _converter(field)
    if convert is None:
        return None
    allow_none = field.allow_none
    validators = tuple(field.validators)

    def load(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise _Unsure
        output = convert(value)
        for validator in validators:
            if validator(output) is False:
                raise _Unsure
        return output

    return load


def _converter(field: fields.Field) -> Callable[[Any], Any] | None:
    kind = type(field)
    if kind in (fields.String, fields.Email):  # Email's check is among its validators
        return _exactly(str)
    if kind is fields.Integer and not field.as_string:
        return _exactly(int)  # not bool, which marshmallow refuses
    if kind is fields.Boolean and _default_truth(field):
        return _exactly(bool)
    if kind is fields.UUID:
        return _uuid
    if kind is fields.Nested:
        return _nested_loader(field)
    if kind is fields.List:
        return _list_loader(field)
    if kind is fields.Dict:
        return _dict_converter(field, _field_loader)
    if isinstance(field, _DELEGATED):
        return lambda value: field.deserialize(value)
    return None


def _exactly(kind: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if type(value) is not kind:
            raise _Unsure
        return value

    return convert


def _default_truth(field: fields.Boolean) -> bool:
    return field.truthy == fields.Boolean.truthy and field.falsy == fields.Boolean.falsy


def _uuid(value: Any) -> uuid.UUID:
    if type(value) is not str:
        raise _Unsure
    return uuid.UUID(value)


def _nested_loader(field: fields.Nested) -> Callable[[Any], Any] | None:
    if field.many or field.only is not None or field.exclude or field.unknown is not None:
        return None
    return _schema_loader(field.schema)


def _list_loader(field: fields.List) -> Callable[[Any], Any] | None:
    load_item = _field_loader(field.inner)
    if load_item is None:
        return None

    def convert(value: Any) -> list:
        if type(value) is not list:
            raise _Unsure
        return [load_item(item) for item in value]

    return convert


def _dict_converter(
    field: fields.Dict, convert_field: Callable[[fields.Field], Callable[[Any], Any] | None]
) -> Callable[[Any], Any] | None:
    """A dict's loader or dumper: ``convert_field`` gives its keys' and values'."""
    if field.key_field is None and field.value_field is None:

        def copy(value: Any) -> dict:
            if type(value) is not dict:
                raise _Unsure
            return dict(value)

        return copy
    if field.key_field is None or field.value_field is None:
        return None
    convert_key = convert_field(field.key_field)
    convert_value = convert_field(field.value_field)
    if convert_key is None or convert_value is None:
        return None

    def convert(value: Any) -> dict:
        if type(value) is not dict:
            raise _Unsure
        return {convert_key(k): convert_value(v) for k, v in value.items()}

    return convert


def _schema_dumper(schema: Schema) -> Callable[[Any], dict] | None:
    if not _plain(schema):
        return None
    steps = []
    for name, field in schema.dump_fields.items():
        dump_value = _field_dumper(field)
        source = field.attribute or name
        if dump_value is None or "." in source or field.dump_default is not missing:
            return None
        key = field.data_key if field.data_key is not None else name
        # A key missing from a dict would be looked up as an attribute of the dict.
        steps.append((source, key, dump_value, hasattr(dict, source)))
    into = _loads_into(schema)

    def dump(obj: Any) -> dict:
        if into is not None and type(obj) is into:
            # A loaded payload: its fields are attributes; one it left out is ``missing``.
            attributes = vars(obj)
            return {
                key: dump_value(attributes[source])
                for source, key, dump_value, _shadowed in steps
                if attributes.get(source, missing) is not missing
            }
        if type(obj) is not dict:
            raise _Unsure
        result = {}
        for source, key, dump_value, shadowed in steps:
            if source in obj:
                result[key] = dump_value(obj[source])
            elif shadowed:
                raise _Unsure
        return result

    return dump


def _field_dumper(field: fields.Field) -> Callable[[Any], Any] | None:
    """The field's ``_serialize`` for the values a load gives (``_Unsure`` otherwise)."""
    kind = type(field)
    if kind in (fields.String, fields.Email):
        dump = _exactly(str)
    elif kind is fields.Integer and not field.as_string:
        dump = _exactly(int)
    elif kind is fields.Boolean and _default_truth(field):
        dump = _exactly(bool)
    elif kind is fields.UUID:
        dump = _uuid_text
    elif kind is fields.Nested and not field.many and field.only is None and not field.exclude:
        dump = _schema_dumper(field.schema)
    elif kind is fields.List:
        dump = _list_dumper(field)
    elif kind is fields.Dict:
        dump = _dict_converter(field, _field_dumper)
    elif isinstance(field, _DELEGATED):
        return lambda value: field._serialize(value, None, None)
    else:
        return None
    if dump is None:
        return None
    return lambda value: None if value is None else dump(value)


def _uuid_text(value: Any) -> str:
    if type(value) is not uuid.UUID:
        raise _Unsure
    return str(value)


def _list_dumper(field: fields.List) -> Callable[[Any], Any] | None:
    dump_item = _field_dumper(field.inner)
    if dump_item is None:
        return None

    def dump(value: Any) -> list:
        if type(value) is not list:
            raise _Unsure
        return [dump_item(item) for item in value]

    return dump
