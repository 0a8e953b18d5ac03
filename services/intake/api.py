"""Intake's HTTP API: organisations, tokens, clients, assessments, onboarding."""

from __future__ import annotations

import hmac
import uuid

from flask import request, url_for
from flask_smorest import Blueprint

from services.intake import access, clients, schemas
from shared.auth import Principal, current_principal, issue_token, requires_role
from shared.errors import Unauthorized
from shared.runtime import current_runtime
from shared.web.idempotency import idempotent
from shared.web.schemas import documents_errors

organisations = Blueprint(
    "organisations", __name__, url_prefix="/v1", description="Provider organisations (tenants)"
)
auth = Blueprint("auth", __name__, url_prefix="/v1", description="Access tokens")
client_routes = Blueprint(
    "clients", __name__, url_prefix="/v1", description="Clients: referral, assessment, onboarding"
)


@organisations.post("/organisations")
@idempotent
@organisations.doc(
    security=[{"platformToken": []}],
    parameters=[
        {"in": "header", "name": "X-Platform-Token", "required": True, "schema": {"type": "string"}}
    ],
)
@organisations.arguments(schemas.OrganisationCreateSchema)
@organisations.response(201, schemas.OrganisationCreatedSchema)
@documents_errors(organisations, 400, 401, 422)
def create_organisation(body):
    """Create a provider organisation and its first admin; the API key is shown once."""
    runtime = current_runtime()
    token = request.headers.get("X-Platform-Token", "")
    if not hmac.compare_digest(token.encode(), runtime.settings.platform_admin_token.encode()):
        raise Unauthorized("A valid X-Platform-Token header is required.")
    with runtime.unit_of_work() as uow:
        organisation, admin, api_key = access.create_organisation(
            uow.session, body["name"], body["default_region"], body["admin"]
        )
        uow.commit()
    return {"organisation": organisation, "admin": admin, "api_key": api_key}


@auth.post("/auth/token")
@idempotent
@auth.doc(security=[])
@auth.arguments(schemas.TokenRequestSchema)
@auth.response(200, schemas.TokenSchema)
@documents_errors(auth, 400, 401, 422)
def create_token(body):
    """Exchange an API key for a short-lived access token."""
    runtime = current_runtime()
    with runtime.session_factory() as session:
        principal = access.principal_for_api_key(session, body["api_key"])
    ttl = runtime.settings.token_ttl_seconds
    return {
        "access_token": issue_token(runtime.settings.jwt_secret, principal, ttl),
        "token_type": "Bearer",
        "expires_in": ttl,
    }


@client_routes.post("/clients")
@requires_role("org_admin", "coach")
@idempotent
@client_routes.arguments(schemas.ClientCreateSchema)
@client_routes.response(201, schemas.ClientSchema)
@documents_errors(client_routes, 400, 401, 403, 422)
def refer_client(body):
    """Refer a new client: contact details, timezone and channel consent."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = clients.refer_client(uow, principal, body)
        uow.commit()
    return client, 201, {"Location": url_for("clients.get_client", client_id=client.id)}


@client_routes.get("/clients/<uuid:client_id>")
@requires_role("org_admin", "coach")
@client_routes.response(200, schemas.ClientSchema)
@documents_errors(client_routes, 401, 403, 404)
def get_client(client_id: uuid.UUID):
    """A client of your organisation."""
    principal: Principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        return clients.get_client(uow, principal, client_id)


@client_routes.put("/clients/<uuid:client_id>/assessment")
@requires_role("org_admin", "coach")
@client_routes.arguments(schemas.AssessmentInputSchema)
@client_routes.response(200, schemas.AssessmentSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 409, 422)
def put_assessment(body, client_id: uuid.UUID):
    """Record the client's assessment; a re-assessment keeps earlier versions."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = clients.get_client(uow, principal, client_id)
        assessment = clients.record_assessment(uow, principal, client, body)
        uow.commit()
    return assessment


@client_routes.post("/clients/<uuid:client_id>/onboard")
@requires_role("org_admin", "coach")
@idempotent
@client_routes.arguments(schemas.OnboardSchema)
@client_routes.response(200, schemas.ClientSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 409, 422)
def onboard(body, client_id: uuid.UUID):
    """Onboard an assessed client with a coach; emits ``client.onboarded``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = clients.get_client(uow, principal, client_id)
        clients.onboard_client(uow, principal, client, body["coach_id"])
        uow.commit()
    return client


def blueprints():
    return (organisations, auth, client_routes)
