"""Typed events: every catalogued (type, version) loads into its frozen dataclass, and a
handler receives the event with that dataclass, never a dict."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime

import pytest

from coaching.registry import SERVICES, load_settings, producers
from shared.events import CATALOGUE, Event, new_envelope, parse_envelope
from shared.events.compiled import CompiledSchema
from shared.events.data import ABSENT, Data
from shared.messaging.inbox import Disposition, InboxProcessor, subscriptions, with_prefetch
from tests.unit.test_compiled_schemas import _valid_object

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

VERSIONS = {
    f"{spec.type} v{version}": (spec.type, version, schema)
    for spec in CATALOGUE.values()
    for version, schema in spec.versions.items()
}


def _nested_data(value) -> list:
    """Every part of a loaded payload that is itself an object or a list of them."""
    found = []
    if isinstance(value, Data):
        found.append(value)
        for item in vars(value).values():
            found += _nested_data(item)
    elif isinstance(value, list):
        for item in value:
            found += _nested_data(item)
    return found


@pytest.mark.parametrize("name", sorted(VERSIONS))
def test_each_version_loads_into_its_frozen_dataclass_nested_ones_included(name):
    _type, _version, schema_class = VERSIONS[name]
    schema = schema_class()
    sample = _valid_object(schema)
    for load in (schema.load, CompiledSchema(schema_class()).load):
        loaded = load(sample)
        assert type(loaded) is schema_class.loads_into
        parts = _nested_data(loaded)
        for part in parts:
            assert dataclasses.is_dataclass(part)
            field = dataclasses.fields(part)[0].name
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(part, field, None)
        assert load(sample) == loaded


def test_ids_and_times_load_as_the_schema_loads_them():
    tenant, client = uuid.uuid4(), uuid.uuid4()
    body = new_envelope(
        "client.discharged",
        tenant,
        {"client_id": client, "reason": "moved", "discharged_at": "2026-11-30T10:00:00+00:00"},
        producer="intake",
        occurred_at=NOW,
    )
    event = parse_envelope(json.dumps(body))
    assert isinstance(event, Event)
    assert event.data.client_id == client and isinstance(event.data.client_id, uuid.UUID)
    assert event.data.discharged_at.isoformat() == "2026-11-30T10:00:00+00:00"
    assert event.tenant_id == tenant


def test_an_optional_field_an_event_leaves_out_is_absent_not_none():
    schema = CATALOGUE["client.onboarded"].versions[1]()
    sample = _valid_object(schema)
    del sample["family_name"]
    loaded = schema.load(sample)
    assert loaded.family_name is ABSENT
    assert "family_name" not in schema.dump(loaded)  # a dump leaves it out as it was left out


def test_a_producer_may_give_the_dataclass_itself():
    schema = CATALOGUE["client.erased"].versions[1]()
    client = uuid.uuid4()
    payload = schema.load({"client_id": str(client)})
    built = new_envelope("client.erased", uuid.uuid4(), payload, producer="intake", occurred_at=NOW)
    assert built["data"] == {"client_id": str(client)}
    with pytest.raises(ValueError, match="carries a"):
        new_envelope("client.discharged", uuid.uuid4(), payload, producer="intake", occurred_at=NOW)


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_handler_receives_the_typed_event_never_a_dict(name, tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings = load_settings()
    runtime = SERVICES[name].build_runtime(settings)
    runtime.migrate()
    received = {}

    def spy(event, uow):
        received[event.type] = event

    processor = InboxProcessor(
        settings,
        name,
        {event_type: spy for event_type in runtime.handlers},
        runtime.unit_of_work,
        runtime.inbox_model,
        runtime.outbox_model,
        clock=runtime.now,
    )
    bodies = []
    for event_type in runtime.handlers:
        spec = CATALOGUE[event_type]
        for version, schema in spec.versions.items():
            envelope = new_envelope(
                event_type,
                uuid.uuid4(),
                _valid_object(schema()),
                producer=producers()[event_type],
                version=version,
                occurred_at=NOW,
            )
            bodies.append((json.dumps(envelope).encode(), {}))
    assert set(processor.process_batch(bodies)) == {Disposition.PROCESSED}
    assert received.keys() == runtime.handlers.keys()
    for event_type, event in received.items():
        assert isinstance(event, Event)
        assert not isinstance(event.data, dict)
        assert type(event.data) is CATALOGUE[event_type].versions[event.version].loads_into


def test_one_table_style_effects_in_turn_and_their_shared_reads_once_per_batch():
    calls = []

    def load_plans(uow, events):
        calls.append(("prefetch", [e for e in events]))

    @with_prefetch(load_plans)
    def first(event, uow):
        calls.append(("first", event))

    def second(event, uow):
        calls.append(("second", event))

    table = subscriptions(("goal.achieved", first, second), ("goal.created", first))
    assert table["goal.created"] is first
    table["goal.achieved"]("an event", None)
    assert calls == [("first", "an event"), ("second", "an event")]
    calls.clear()
    InboxProcessor._prefetch(
        None, [("one", table["goal.achieved"]), ("two", table["goal.created"]), ("three", second)]
    )
    assert calls == [("prefetch", ["one", "two"])]  # once for the batch, for those that read
    with pytest.raises(ValueError, match="handled twice"):
        subscriptions(("goal.created", first), ("goal.created", second))
