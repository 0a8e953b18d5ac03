"""Schemathesis against the plans OpenAPI document: no request makes the service fail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.clock import FrozenClock
from tests.support.plans import onboard, token_for
from tests.support.schemathesis_check import (
    WRITE_METHODS,
    assert_hostile_text_never_fails,
    assert_no_server_errors,
)

EXAMPLES_PER_OPERATION = 12
HOSTILE_EXAMPLES_PER_WRITE = 8


def _plan_with_work(system, web, auth, tenant_id, coach_id) -> dict[str, str]:
    """A new client's draft plan, with a daily step and a check-in: their ids."""
    client = onboard(system, tenant_id, coach_id)
    plans = web.get(f"/v1/plans?client_id={client['client_id']}", headers=auth).get_json()
    plan = plans["items"][0]
    goal_id = plan["goals"][0]["id"]
    action = web.post(
        f"/v1/goals/{goal_id}/actions",
        headers=auth,
        json={
            "title": "Walk",
            "frequency": "daily",
            "local_time": "08:00",
            "start_date": "2026-09-01",
        },
    ).get_json()
    checkin = web.post(
        f"/v1/plans/{plan['id']}/checkins",
        headers=auth,
        json={"starts_at": "2026-09-02T00:00:00Z", "duration_minutes": 30, "mode": "phone"},
    ).get_json()
    return {
        "plan_id": plan["id"],
        "goal_id": goal_id,
        "action_id": action["id"],
        "checkin_id": checkin["id"],
    }


def _documented_operations(web) -> tuple[int, int]:
    """How many operations the OpenAPI document lists, and how many of them write."""
    paths = web.get("/openapi.json").get_json()["paths"]
    methods = [
        method.upper() for item in paths.values() for method in item if method != "parameters"
    ]
    return len(methods), sum(method in WRITE_METHODS for method in methods)


def test_generated_requests_to_every_plans_operation_never_get_a_5xx(system, settings):
    system.runtimes["plans"].clock = FrozenClock(datetime(2026, 9, 1, tzinfo=UTC))
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    app = system.apps["plans"]
    token = token_for(settings, tenant_id, role="org_admin")
    web = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    real_ids = _plan_with_work(system, web, auth, tenant_id, coach_id)

    statuses = assert_no_server_errors(
        app, auth, max_examples=EXAMPLES_PER_OPERATION, path_parameters=real_ids
    )
    # the pinned ids let generated requests through to validation and the domain rules
    assert statuses[200] and statuses[422] and statuses[409], statuses
    # Control characters and NUL in otherwise valid writes, on a fresh plan (the first
    # run may have completed or closed the other).
    fresh_ids = _plan_with_work(system, web, auth, tenant_id, coach_id)
    hostile = assert_hostile_text_never_fails(
        app, auth, max_examples=HOSTILE_EXAMPLES_PER_WRITE, path_parameters=fresh_ids
    )
    # Refused where the text may not go; some writes still reach the database (a tab or a
    # newline in free text is allowed), which is where a NUL used to end as a 500.
    assert hostile[422] and (hostile[200] or hostile[201]), hostile
    # Bounded by its settings, not by a clock: no more requests than the examples allowed
    # for each documented operation.
    operations, writes = _documented_operations(web)
    assert sum(statuses.values()) <= EXAMPLES_PER_OPERATION * operations, statuses
    assert sum(hostile.values()) <= HOSTILE_EXAMPLES_PER_WRITE * writes, hostile


def test_the_fhir_export_answers_fhir_json_as_documented_to_generated_requests(system, settings):
    """``GET /v1/plans/{id}/fhir``, ``include`` generated too: every answer is documented,
    of the documented media type (``application/fhir+json`` for the Bundle, problem+json
    otherwise), and never a 5xx."""
    system.runtimes["plans"].clock = FrozenClock(datetime(2026, 9, 1, tzinfo=UTC))
    tenant_id, coach_id = uuid.uuid4(), uuid.uuid4()
    app = system.apps["plans"]
    auth = {"Authorization": f"Bearer {token_for(settings, tenant_id, role='org_admin')}"}
    real_ids = _plan_with_work(system, app.test_client(), auth, tenant_id, coach_id)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operation = schema["/v1/plans/{plan_id}/fhir"]["GET"]
    assert list(operation.definition.raw["responses"]["200"]["content"]) == [
        "application/fhir+json"
    ]
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    statuses: dict[int, int] = {}

    @given(case=operation.as_strategy())
    @examples(
        max_examples=EXAMPLES_PER_OPERATION * 2,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        if sum(statuses.values()) % 2 == 0:  # half at the real plan, half at random ids
            case.path_parameters["plan_id"] = real_ids["plan_id"]
        response = case.call_and_validate(headers=auth, checks=checks)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    check()
    assert statuses.get(200) and statuses.get(404), statuses
