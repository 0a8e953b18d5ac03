"""Run schemathesis against a service's OpenAPI document in-process (WSGI), bounded.

Reusable by every service's suite: give it the Flask app and the headers of a valid
caller; each operation gets ``max_examples`` generated requests, and any 5xx fails.
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
    or a NUL into every string of the body and query: none may get a
    5xx. Schema-valid bodies reach the database, where a NUL used to end as a 500."""
    schema = schemathesis.openapi.from_wsgi(openapi_path, app)
    statuses: Counter = Counter()
    failures: list[str] = []
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().method.upper() in WRITE_METHODS
    ]
    assert operations, "the OpenAPI document lists no write operations"
    for operation in operations:
        _exercise_with_hostile_text(
            operation, headers, max_examples, statuses, failures, path_parameters or {}
        )
    assert not failures, "\n".join(failures[:10])
    return statuses


def _with_hostile_text(value, draw, alphabet):
    """``value`` with one hostile piece put into each of its strings (at any depth)."""
    if isinstance(value, str):
        at = draw(st.integers(0, len(value)))
        return value[:at] + draw(st.sampled_from(alphabet)) + value[at:]
    if isinstance(value, list):
        return [_with_hostile_text(item, draw, alphabet) for item in value]
    if isinstance(value, dict):
        return {key: _with_hostile_text(item, draw, alphabet) for key, item in value.items()}
    return value


def _exercise(
    operation, headers, max_examples: int, statuses: Counter, failures: list, pinned: dict
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=max_examples,
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
        max_examples=max_examples,
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
        if isinstance(case.body, dict | list | str):
            case.body = _with_hostile_text(case.body, data.draw, HOSTILE_TEXT)
        if case.query:
            case.query = _with_hostile_text(case.query, data.draw, HOSTILE_TEXT)
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{operation.label}: {response.status_code} for {case.as_curl_command()}"
            )

    exercise()
