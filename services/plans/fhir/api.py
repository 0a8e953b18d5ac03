"""``GET /v1/plans/{id}/fhir``: the client's care record as a FHIR R4 Bundle."""

from __future__ import annotations

import uuid

from services.plans.fhir import use_cases
from shared.use_case import as_caller
from shared.web.endpoints import STAFF, ApiBlueprint
from shared.web.fhir import FhirQuerySchema, fhir_answer, wants_communications

fhir_routes = ApiBlueprint(
    "fhir", __name__, roles=STAFF, description="The care record as FHIR R4 (application/fhir+json)"
)


@fhir_routes.get(
    "/plans/<uuid:plan_id>/fhir",
    query=FhirQuerySchema,
    response={"type": "object"},
    content_type="application/fhir+json",
)
def plan_care_record(query, plan_id: uuid.UUID):
    """The plan as a FHIR R4 ``Bundle`` (type ``collection``): ``CarePlan``, ``Goal``s,
    completions as ``Task``s, wellbeing as ``Observation``s, the ``Patient``, the coach
    (``Practitioner``), ``Organization`` and ``CareTeam``; with
    ``include=communications``, the client's journal and crisis words as
    ``Communication``s (security label: restricted). Codes: docs/fhir.md."""
    bundle = as_caller(use_cases.care_record, plan_id, communications=wants_communications(query))
    return fhir_answer(bundle)
