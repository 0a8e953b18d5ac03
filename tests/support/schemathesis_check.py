"""Run schemathesis against a service's OpenAPI document in-process (WSGI), bounded.

Reusable by every service's suite: give it the Flask app and the headers of a valid
caller; each operation gets ``max_examples`` generated requests, and any 5xx fails.
A read with nothing left to generate (no query, every path parameter pinned, every
header given) has one possible request, so it is sent once.
:func:`assert_hostile_text_never_fails` does the same for write operations with control
characters and NUL slipped into otherwise valid bodies.
``path_parameters`` pins named path parameters (``plan_id``...) to real ids, so the
generated bodies and queries reach the code behind the 404 check.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# What a text field meets in the wild and a generator rarely makes: NUL (PostgreSQL
# refuses it), line breaks, a terminal escape, DEL, C1, Unicode separators, bidi
# overrides. (Lone surrogates too, but schemathesis cannot send one: see
# tests/integration/test_hostile_input.py.)
HOSTILE_TEXT = ("\x00", "\r\n", "\n", "\t", "\x1b[2J", "\x7f", "\x85", "\u2028", "\u202e")
WRITE_METHODS = ("POST", "PUT", "PATCH")


def assert_no_server_errors(
    app,
    headers: dict[str, str],
    *,
    max_examples: int = 25,
    openapi_path: str = "/openapi.json",
    path_parameters: dict[str, str] | None = None,
) -> Counter:
    """Fuzz every documented operation; return how many answers each status code got."""
    schema = schemathesis.openapi.from_wsgi(openapi_path, app)
    statuses: Counter = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operations"
    for operation in operations:
        _exercise(operation, headers, max_examples, statuses, failures, path_parameters or {})
    assert not failures, "\n".join(failures[:10])
    return statuses


def assert_hostile_text_never_fails(
    app,
    headers: dict[str, str],
    *,
    max_examples: int = 8,
    openapi_path: str = "/openapi.json",
    path_parameters: dict[str, str] | None = None,
) -> Counter:
    """Generate valid requests to every write operation, then slip a control character
    or a NUL into one string of the body or query: none may get a 5xx. Schema-valid
    bodies reach the database, where a NUL used to end as a 500."""
    schema = schemathesis.openapi.from_wsgi(openapi_path, app)
    statuses: Counter = Counter()
    failures: list[str] = []
    # Creations first: an update may close what they would write to (a completed plan).
    operations = sorted(
        (
            result.ok()
            for result in schema.get_all_operations()
            if result.ok().method.upper() in WRITE_METHODS
        ),
        key=lambda operation: WRITE_METHODS.index(operation.method.upper()),
    )
    assert operations, "the OpenAPI document lists no write operations"
    for operation in operations:
        _exercise_with_hostile_text(
            operation, headers, max_examples, statuses, failures, path_parameters or {}
        )
    assert not failures, "\n".join(failures[:10])
    return statuses


def _string_places(value, place=()):
    """Where the strings in a JSON-like ``value`` are: paths of keys and indexes."""
    if isinstance(value, str):
        yield place
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_places(item, (*place, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_places(item, (*place, key))


def _slip_hostile_text(case, draw) -> None:
    """Put one hostile piece into ONE string of the body or query, the rest left valid (a
    wrong enum elsewhere would stop the request before the database)."""
    containers = [name for name in ("body", "query") if getattr(case, name, None)]
    places = [
        (name, place)
        for name in containers
        if isinstance(getattr(case, name), dict | list)
        for place in _string_places(getattr(case, name))
    ]
    if not places:
        return
    name, place = draw(st.sampled_from(places))
    parent = getattr(case, name)
    for step in place[:-1]:
        parent = parent[step]
    value = parent[place[-1]]
    at = draw(st.integers(0, len(value)))
    parent[place[-1]] = value[:at] + draw(st.sampled_from(HOSTILE_TEXT)) + value[at:]


def _examples(operation, headers: dict, pinned: dict, max_examples: int) -> int:
    """``max_examples``, or 1 for a read every input of which is fixed: the same request
    again would only repeat the first answer (a chart is drawn anew for each)."""
    given_headers = {name.lower() for name in headers}
    fixed = (
        operation.method.upper() == "GET"
        and not len(operation.body)
        and not len(operation.query)
        and not len(operation.cookies)
        and all(parameter.name in pinned for parameter in operation.path_parameters)
        and all(parameter.name.lower() in given_headers for parameter in operation.headers)
    )
    return 1 if fixed else max_examples


def _exercise(
    operation, headers, max_examples: int, statuses: Counter, failures: list, pinned: dict
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=_examples(operation, headers, pinned, max_examples),
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case):
        for name, value in pinned.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{operation.label}: {response.status_code} for {case.as_curl_command()}"
            )

    exercise()


def _exercise_with_hostile_text(
    operation, headers, max_examples: int, statuses: Counter, failures: list, pinned: dict
) -> None:
    @given(case=operation.as_strategy(), data=st.data())
    @settings(
        max_examples=_examples(operation, headers, pinned, max_examples),
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case, data):
        for name, value in pinned.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        _slip_hostile_text(case, data.draw)
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{operation.label}: {response.status_code} for {case.as_curl_command()}"
            )

    exercise()
