"""The caseload: who needs attention first (``GET /v1/caseload``)."""

from __future__ import annotations

from flask_smorest import Blueprint

from services.plans.caseload import caseload_page
from services.plans.coach_schemas import CaseloadPageSchema, CaseloadQuerySchema
from shared.auth import current_principal, requires_role
from shared.runtime import current_runtime
from shared.web.schemas import documents_errors

caseload_routes = Blueprint(
    "caseload", __name__, url_prefix="/v1", description="The coach's caseload"
)


@caseload_routes.get("/caseload")
@requires_role("org_admin", "coach")
@caseload_routes.arguments(CaseloadQuerySchema, location="query")
@caseload_routes.response(200, CaseloadPageSchema)
@documents_errors(caseload_routes, 401, 403, 422)
def caseload(query):
    """One row per client you may see (a coach: their own; an org admin: everyone, or one
    coach's with ``coach_id``): flagged clients first, then the longest without contact.
    ``week_completion`` covers the past seven days."""
    principal = current_principal()
    runtime = current_runtime()
    now = runtime.clock()
    return runtime.read(lambda connection: caseload_page(connection, principal, now, **query))
