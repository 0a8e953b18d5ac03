"""Plans' HTTP API: recovery plans and their goals."""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint
from sqlalchemy import select

from services.plans import schemas
from services.plans.models import RecoveryPlan
from shared.auth import current_principal, requires_role
from shared.errors import NotFound
from shared.pagination import paginate
from shared.runtime import current_runtime
from shared.web.schemas import documents_errors

plans = Blueprint("plans", __name__, url_prefix="/v1", description="Recovery plans")


@plans.get("/plans")
@requires_role("org_admin", "coach")
@plans.arguments(schemas.PlanQuerySchema, location="query")
@plans.response(200, schemas.PlanPageSchema)
@documents_errors(plans, 401, 403, 422)
def list_plans(query):
    """Plans of a client of your organisation; the draft appears after onboarding."""
    principal = current_principal()
    stmt = select(RecoveryPlan).where(
        RecoveryPlan.tenant_id == principal.tenant_id,
        RecoveryPlan.client_id == query["client_id"],
    )
    with current_runtime().session_factory() as session:
        return paginate(session, stmt, RecoveryPlan, query["cursor"], query["limit"])


@plans.get("/plans/<uuid:plan_id>")
@requires_role("org_admin", "coach")
@plans.response(200, schemas.PlanSchema)
@documents_errors(plans, 401, 403, 404)
def get_plan(plan_id: uuid.UUID):
    """One recovery plan with its goals."""
    principal = current_principal()
    with current_runtime().session_factory() as session:
        plan = session.scalar(
            select(RecoveryPlan).where(
                RecoveryPlan.id == plan_id, RecoveryPlan.tenant_id == principal.tenant_id
            )
        )
        if plan is None:
            raise NotFound("No such plan.")
        return plan


def blueprints():
    return (plans,)
