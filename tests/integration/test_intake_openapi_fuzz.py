"""schemathesis against intake's own OpenAPI document, in-process over WSGI: generated
requests to every operation never get a 5xx, and every answer matches the document."""

from __future__ import annotations

import collections

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.schemathesis_check import assert_hostile_text_never_fails

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz(operation, headers: dict, real_ids: dict, statuses: collections.Counter) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # Half the examples aim at resources that exist, the others at random ids.
        if case.path_parameters and sum(statuses.values()) % 2 == 0:
            for name, value in real_ids.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = value
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] += 1

    check()


def test_generated_requests_get_documented_answers_and_never_a_5xx(api, tenant, system):
    token = tenant["token"]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/openapi.json", system.apps["intake"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    failures, statuses = [], collections.Counter()
    for operation in operations:
        # Fresh resources per operation: a generated DELETE or discharge spoils them.
        client = api.refer_client(token)
        api.assess(token, client["id"])
        coach, _ = api.add_staff(token)
        keys = api.call("intake", "GET", f"/v1/staff/{coach['id']}/keys", token).body["items"]
        real_ids = {"client_id": client["id"], "staff_id": coach["id"], "key_id": keys[0]["id"]}
        try:
            _fuzz(operation, headers, real_ids, statuses)
        except Exception as exc:  # report every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert failures == [], "\n\n".join(failures)
    # The run reached real resources and succeeded, not only 404s and 422s.
    assert sum(n for status, n in statuses.items() if status < 300) >= len(operations)

    # Control characters and NUL slipped into otherwise valid writes.
    client = api.refer_client(token)
    api.assess(token, client["id"])
    coach, _ = api.add_staff(token)
    statuses = assert_hostile_text_never_fails(
        system.apps["intake"],
        headers,
        path_parameters={"client_id": client["id"], "staff_id": coach["id"]},
    )
    assert statuses[422], statuses  # refused, naming the field, rather than stored or a 500


def test_the_fhir_export_answers_fhir_json_as_documented_to_generated_requests(api, tenant, system):
    """``GET /v1/clients/{id}/fhir``: its documented media type is ``application/fhir+json``
    (what schemathesis checks the answers against), a real client's record is a Bundle,
    any other id a problem."""
    token = tenant["token"]
    schema = schemathesis.openapi.from_wsgi("/openapi.json", system.apps["intake"])
    operation = schema["/v1/clients/{client_id}/fhir"]["GET"]
    documented = operation.definition.raw["responses"]["200"]["content"]
    assert list(documented) == ["application/fhir+json"]
    client = api.refer_client(token)
    api.assess(token, client["id"])
    statuses = collections.Counter()
    _fuzz(operation, {"Authorization": f"Bearer {token}"}, {"client_id": client["id"]}, statuses)
    assert statuses[200] and statuses[404], statuses
