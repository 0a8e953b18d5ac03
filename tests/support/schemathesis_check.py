"""Run schemathesis against a service's OpenAPI document in-process (WSGI), bounded.

Reusable by every service's suite: give it the Flask app and the headers of a valid
caller; each operation gets ``max_examples`` generated requests, and any 5xx fails.
``path_parameters`` pins named path parameters (``plan_id``...) to real ids, so the
generated bodies and queries reach the code behind the 404 check.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings


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
