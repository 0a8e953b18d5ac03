"""Subscriptions are declared once, where the handlers are: a service's queue is bound to
exactly the events its handler table handles, and the common package names no service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coaching.registry import SERVICES, load_settings
from shared.events import CATALOGUE
from shared.messaging.topology import Topology

ROOT = Path(__file__).resolve().parents[2]


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
    assert bound == handled == set(SERVICES[name].handlers)


def test_every_handled_event_is_in_the_catalogue(settings):
    for service in SERVICES.values():
        unknown = set(service.build_runtime(settings).handlers) - set(CATALOGUE)
        assert not unknown, f"{service.name} handles events the catalogue lacks: {unknown}"


def test_an_event_nobody_handles_need_not_reach_a_queue(settings):
    assert settings.subscribers_of("plan.created") == ()
    assert set(settings.subscribers_of("client.onboarded")) == {"plans", "notifications"}


def _names_in_code(path: Path, names: set[str]) -> list[tuple[str, str]]:
    """Where ``names`` appear in a module's code: as a string (or a word of one, docstrings
    aside) or as an identifier. Comments are not code."""
    source = path.read_text()
    tree, lines = ast.parse(source), source.splitlines()
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            words = set(node.value.replace(".", " ").replace("-", " ").replace("_", " ").split())
            hits = words & names
        elif isinstance(node, ast.Name):
            hits = {node.id} & names
        elif isinstance(node, ast.Attribute):
            hits = {node.attr} & names
        else:
            continue
        if hits:
            found.append((str(path.relative_to(ROOT)), lines[node.lineno - 1].strip()))
    return found


# The one exception: the issuer claim of staff tokens, a value on the wire that tokens in
# flight carry (changing it would log every member out at the deploy).
ON_THE_WIRE = {("shared/auth.py", 'ISSUER = "coaching-intake"')}


def test_the_common_package_names_no_service():
    names = set(SERVICES)
    found = [
        hit
        for path in sorted((ROOT / "shared").rglob("*.py"))
        for hit in _names_in_code(path, names)
    ]
    assert set(found) == ON_THE_WIRE
