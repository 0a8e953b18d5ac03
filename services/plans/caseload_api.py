"""The caseload: who needs attention first (``GET /v1/caseload``)."""

from __future__ import annotations

from services.plans.caseload import caseload_page
from services.plans.coach_schemas import CaseloadPageSchema, CaseloadQuerySchema
from shared.auth import current_principal
from shared.runtime import current_runtime
from shared.web.endpoints import STAFF, ApiBlueprint

caseload_routes = ApiBlueprint(
    "caseload", __name__, roles=STAFF, description="The coach's caseload"
)


@caseload_routes.get("/caseload", query=CaseloadQuerySchema, response=CaseloadPageSchema)
def caseload(query):
    """One row per client you may see (a coach: their own; an org admin: everyone, or one
    coach's with ``coach_id``): flagged clients first, then the longest without contact.
    ``week_completion`` covers the past seven days."""
    principal = current_principal()
    runtime = current_runtime()
    now = runtime.clock()
    return runtime.read(lambda connection: caseload_page(connection, principal, now, **query))
