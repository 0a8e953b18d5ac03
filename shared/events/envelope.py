"""The JSON envelope every event travels in (docs/ARCHITECTURE.md §2), and the typed
:class:`Event` a handler receives: its payload loaded into the frozen dataclass of its
(type, version) (``shared/events/data.py``)."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass, is_dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from marshmallow import Schema, ValidationError, fields, validate

from shared.events.catalogue import CATALOGUE
from shared.events.compiled import CompiledSchema


class InvalidEvent(Exception):
    """A message that can never be processed: undecodable, or failing its schema."""


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    tenant_id = fields.UUID(required=True)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    # A service's name (the composition root's; this package names none).
    producer = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,62}$"))
    correlation_id = fields.String(allow_none=True, load_default=None)
    causation_id = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)


_ENVELOPE = CompiledSchema(EnvelopeSchema())


PayloadT = TypeVar("PayloadT")


@dataclass(frozen=True)
class Event(Generic[PayloadT]):
    """An event as a handler receives it. ``data`` is the payload's frozen dataclass (a
    plain dict only for an event type the catalogue does not know, which no handler
    handles)."""

    id: uuid.UUID
    type: str
    version: int
    tenant_id: uuid.UUID
    occurred_at: datetime
    producer: str
    correlation_id: str | None
    causation_id: str | None
    data: PayloadT

    @property
    def known(self) -> bool:
        return self.type in CATALOGUE


# The transport's name for it: a parsed envelope is the event.
Envelope = Event


def new_envelope(
    event_type: str,
    tenant_id: uuid.UUID | str,
    data: Any,
    *,
    producer: str,
    version: int | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime,
) -> dict[str, Any]:
    """Build a validated, JSON-ready envelope (with a new id unless ``event_id`` is given)
    of an event that happened at ``occurred_at`` (on the producer's clock, ARCHITECTURE.md
    §5.9). ``data`` is a dict or the payload's own dataclass (``shared/events/data.py``).
    A payload that fails its schema is a bug."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be an aware datetime")
    spec = CATALOGUE[event_type]
    version = version or spec.latest_version
    schema = _payload_schema(event_type, version)
    if is_dataclass(data):
        expected = schema.schema.loads_into
        if type(data) is not expected:
            raise ValueError(f"{event_type} v{version} carries a {expected.__name__}")
        data = schema.dump(data)
    unknown = set(data) - schema.keys
    if unknown:
        raise ValueError(f"{event_type} v{version} has no field(s) {sorted(unknown)}")
    payload = schema.dump(schema.load(_as_on_the_wire(data)))
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "version": version,
        "tenant_id": str(tenant_id),
        "occurred_at": occurred_at.isoformat(),
        "producer": producer,
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "data": payload,
    }


@functools.cache
def _payload_schema(event_type: str, version: int) -> CompiledSchema:
    """One schema per (type, version), compiled: building them is costly, using them is not."""
    return CompiledSchema(CATALOGUE[event_type].versions[version]())


def _json_default(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


_AS_IS = (str, int, float, bool, type(None))
_AS_TEXT = {uuid.UUID: str, datetime: datetime.isoformat}


class _NotPlain(Exception):
    pass


def _as_on_the_wire(data: Any) -> Any:
    """``data`` as a consumer will read it: ``json.loads(json.dumps(data, default=...))``.
    Its common shapes (JSON values, UUIDs, datetimes) are converted directly, which costs
    a fraction of the round trip; anything else takes the round trip itself."""
    try:
        return _plain_copy(data)
    except _NotPlain:
        return json.loads(json.dumps(data, default=_json_default))


def _plain_copy(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise _NotPlain  # json.dumps writes other keys its own way
        return {key: _plain_copy(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_plain_copy(item) for item in value]
    as_text = _AS_TEXT.get(kind)
    if as_text is None:
        raise _NotPlain
    return as_text(value)


def parse_envelope(body: bytes | str) -> Envelope:
    """Decode and validate a message body; raise :class:`InvalidEvent` with the reason.

    An unknown event type is returned as is (``known`` is false) so the consumer can
    acknowledge and ignore it; an unknown version of a known type is invalid.
    """
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"undecodable body: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidEvent("envelope is not a JSON object")
    try:
        fields_ = _ENVELOPE.load(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid envelope: {json.dumps(exc.messages, sort_keys=True)}") from exc
    spec = CATALOGUE.get(fields_["type"])
    if spec is not None:
        if fields_["version"] not in spec.versions:
            raise InvalidEvent(f"unknown version {fields_['version']} of {fields_['type']}")
        try:
            fields_["data"] = _payload_schema(fields_["type"], fields_["version"]).load(
                fields_["data"]
            )
        except ValidationError as exc:
            raise InvalidEvent(
                f"invalid {fields_['type']} v{fields_['version']} payload: "
                f"{json.dumps(exc.messages, sort_keys=True)}"
            ) from exc
    return Envelope(**fields_)
