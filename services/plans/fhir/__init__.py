"""The client's care record as FHIR R4: ``GET /v1/plans/{id}/fhir``.

Owns: reading what the record holds, in the unit of work its use case owns
(``use_cases``: the plan as the caller may see it, its goals, steps and their completions,
recorded check-ins, the client's replies, and the names plans was told), the mapping of
each to its FHIR resource (``care_record``: ``CarePlan``, ``Goal``, ``Task``,
``Observation``, ``Communication``, ``Patient``, ``Practitioner``, ``Organization``,
``CareTeam``; pure functions over the rows, no database), and its route (``api``).
The codes and URLs it uses are listed in docs/fhir.md.

Entry points: ``blueprints()`` (its route) and ``care_record_bundle``.
"""

from __future__ import annotations

from services.plans.fhir.care_record import care_record_bundle

__all__ = ["blueprints", "care_record_bundle"]


def blueprints() -> tuple:
    from services.plans.fhir.api import fhir_routes

    return (fhir_routes,)
