"""The client's intake record as FHIR R4: ``GET /v1/clients/{id}/fhir``.

Owns: reading what the record holds, in the unit of work its use case owns
(``use_cases``: the client as the caller may see them, their consent records, assessments
and the staff they name), the mapping to FHIR (``client_record``: ``Patient``, a
``Consent`` per channel with who decided, when and how, each K10 and WEMWBS as a
``QuestionnaireResponse`` and its total score as an ``Observation`` with the band; pure
functions over the rows), and its route (``api``). Codes and URLs: docs/fhir.md.

Entry points: ``blueprints()`` (its route) and ``client_record_bundle``.
"""

from __future__ import annotations

from services.intake.fhir.client_record import client_record_bundle

__all__ = ["blueprints", "client_record_bundle"]


def blueprints() -> tuple:
    from services.intake.fhir.api import fhir_routes

    return (fhir_routes,)
