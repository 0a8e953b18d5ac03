"""A service's queue is bound to exactly the events its handlers handle."""

from __future__ import annotations

import pytest

from coaching.registry import SERVICES
from shared.config import load_settings
from shared.events import CATALOGUE, routing_keys_for
from shared.messaging.topology import Topology


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return load_settings()


@pytest.mark.parametrize("name", list(SERVICES))
def test_a_service_is_bound_to_exactly_the_events_it_handles(name, settings):
    handled = set(SERVICES[name].build_runtime(settings).handlers)
    bound = {
        b.routing_key
        for b in Topology(settings).queue(name).bindings
        if b.exchange.name == settings.exchange_name
    }
    assert bound == handled
    assert set(routing_keys_for(name)) == handled


def test_every_handled_event_is_in_the_catalogue(settings):
    for service in SERVICES.values():
        unknown = set(service.build_runtime(settings).handlers) - set(CATALOGUE)
        assert not unknown, f"{service.name} handles events the catalogue lacks: {unknown}"
