"""``/v1/clients/{id}/safety-plan``: the client's safety plan, written with their coach
(the client's coach or an org admin; any other client is a 404), versioned, with an
``ETag`` and ``If-Match`` (412 when stale)."""

from __future__ import annotations

import uuid

from services.notifications.safety_plans import schemas, use_cases
from shared.pagination import PageQuerySchema
from shared.use_case import as_caller
from shared.web.endpoints import STAFF, ApiBlueprint
from shared.web.etag import if_match

safety_plans = ApiBlueprint(
    "safety_plans",
    __name__,
    roles=STAFF,
    description="A client's personal safety plan (Stanley-Brown's six sections)",
)


def _answer(view: use_cases.PlanView, status: int = 200):
    return view.body, status, {"ETag": view.etag}


@safety_plans.get(
    "/clients/<uuid:client_id>/safety-plan",
    query=schemas.SafetyPlanQuerySchema,
    response=schemas.SafetyPlanSchema,
)
def get_safety_plan(query, client_id: uuid.UUID):
    """The current version of the client's safety plan (``?version=`` an earlier one),
    with the ``ETag`` of the current version. 404 when the client has none yet."""
    return _answer(as_caller(use_cases.safety_plan, client_id, query["version"]))


@safety_plans.put(
    "/clients/<uuid:client_id>/safety-plan",
    body=schemas.SafetyPlanSectionsSchema,
    response=schemas.SafetyPlanSchema,
    if_match=True,
    errors=(409,),
)
def put_safety_plan(body, client_id: uuid.UUID):
    """Write the plan's six sections as its new version (every version is kept). The
    client is asked to confirm it again on their page (``client_acknowledged_at`` goes
    back to null). Honours ``If-Match`` with the ``ETag`` read."""
    return _answer(as_caller(use_cases.change_safety_plan, client_id, body, if_match=if_match()))


@safety_plans.get(
    "/clients/<uuid:client_id>/safety-plan/versions",
    query=PageQuerySchema,
    response=schemas.SafetyPlanVersionPageSchema,
)
def list_safety_plan_versions(query, client_id: uuid.UUID):
    """Every version of the plan, oldest first: who wrote it (staff or the client) and
    when."""
    return as_caller(use_cases.safety_plan_versions, client_id, query)
