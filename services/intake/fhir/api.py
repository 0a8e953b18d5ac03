"""``GET /v1/clients/{id}/fhir``: the client's intake record as a FHIR R4 Bundle."""

from __future__ import annotations

import uuid

from services.intake.fhir import use_cases
from shared.use_case import as_caller
from shared.web.endpoints import STAFF, ApiBlueprint
from shared.web.fhir import fhir_answer

fhir_routes = ApiBlueprint(
    "fhir",
    __name__,
    roles=STAFF,
    description="The client's record as FHIR R4 (application/fhir+json)",
)


@fhir_routes.get(
    "/clients/<uuid:client_id>/fhir",
    response={"type": "object"},
    content_type="application/fhir+json",
)
def client_fhir_record(client_id: uuid.UUID):
    """The client as a FHIR R4 ``Bundle`` (type ``collection``): the ``Patient``, a
    ``Consent`` per channel decided on (who, when, how), each K10 and WEMWBS as a
    ``QuestionnaireResponse`` with its total score and band as an ``Observation``, and the
    ``Organization`` and ``Practitioner``s they name. Codes: docs/fhir.md."""
    return fhir_answer(as_caller(use_cases.client_record, client_id))
