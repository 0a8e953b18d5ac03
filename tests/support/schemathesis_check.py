"""Property-based checks of a service's OpenAPI document with schemathesis, in-process.

``assert_no_server_errors(app, token)`` loads the app's ``/openapi.json`` through WSGI,
generates a bounded number of requests per operation (valid and invalid ones) with a
valid Bearer token, and fails on any 5xx answer. Reusable by every service's tests.
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings


def assert_no_server_errors(
    app,
    token: str,
    *,
    max_examples: int = 15,
    include: Callable[[str, str], bool] = lambda method, path: True,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, int]:
    """Fail on a 5xx from any operation; return how many calls each operation got.

    ``path_parameters`` pins path parameters to real ids so the generated requests reach
    the code behind the 404 check.
    """
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    calls: dict[str, int] = {}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not include(operation.method.upper(), operation.path):
            continue
        label = f"{operation.method.upper()} {operation.path}"
        calls[label] = 0
        _run(operation, label, token, max_examples, path_parameters or {}, calls, failures)
    assert not failures, "server errors:\n" + "\n".join(failures[:10])
    return calls


def _run(operation, label, token, max_examples, path_parameters, calls, failures) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def check(case):
        for name, value in path_parameters.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        calls[label] += 1
        if response.status_code >= 500:
            failures.append(f"{label} -> {response.status_code}: {case.as_curl_command()}")

    check()
