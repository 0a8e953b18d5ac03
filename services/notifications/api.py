"""Notifications' HTTP API: every nudge of a client and its state."""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint
from sqlalchemy import select

from services.notifications import schemas
from services.notifications.models import Contact, Nudge
from shared.auth import current_principal, requires_role
from shared.errors import NotFound
from shared.pagination import paginate
from shared.runtime import current_runtime
from shared.web.schemas import documents_errors

nudges = Blueprint("nudges", __name__, url_prefix="/v1", description="Nudges sent to clients")


@nudges.get("/clients/<uuid:client_id>/notifications")
@requires_role("org_admin", "coach")
@nudges.arguments(schemas.NudgeQuerySchema, location="query")
@nudges.response(200, schemas.NudgePageSchema)
@documents_errors(nudges, 401, 403, 404, 422)
def list_notifications(query, client_id: uuid.UUID):
    """Every nudge of a client of your organisation, oldest first."""
    principal = current_principal()
    with current_runtime().session_factory() as session:
        if session.get(Contact, (principal.tenant_id, client_id)) is None:
            raise NotFound("No such client.")
        stmt = select(Nudge).where(
            Nudge.tenant_id == principal.tenant_id, Nudge.client_id == client_id
        )
        return paginate(session, stmt, Nudge, query["cursor"], query["limit"])


def blueprints():
    return (nudges,)
