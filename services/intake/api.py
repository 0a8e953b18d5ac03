"""Intake's HTTP API: organisations, tokens, staff and keys, clients, consent, assessments,
onboarding, discharge, erasure and the audit trail."""

from __future__ import annotations

import hmac
import uuid

from flask import request, url_for
from flask_smorest import Blueprint
from sqlalchemy import Row, select

from services.intake import (
    assessments,
    audit,
    clients,
    consent,
    erasure,
    onboarding,
    schemas,
    scoping,
)
from services.intake import staff as staffing
from services.intake.models import Client, ClientAuditEntry, StaffMember
from shared.auth import Principal, current_principal, issue_token, requires_role
from shared.errors import Unauthorized
from shared.pagination import paginate
from shared.runtime import current_runtime
from shared.web.etag import etag_of, require_fresh
from shared.web.idempotency import idempotent
from shared.web.schemas import documents_errors

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Retry safely: the same key and body replay the first answer; "
    "the same key with another body is refused (422). A key is kept for 24 hours "
    "(IDEMPOTENCY_KEY_TTL_HOURS); a retry after that is a new request.",
}

organisations = Blueprint(
    "organisations", __name__, url_prefix="/v1", description="Provider organisations (tenants)"
)
auth = Blueprint("auth", __name__, url_prefix="/v1", description="Access tokens")
staff_routes = Blueprint(
    "staff", __name__, url_prefix="/v1", description="Staff members and their API keys"
)
client_routes = Blueprint(
    "clients", __name__, url_prefix="/v1", description="Clients: referral, assessment, onboarding"
)


@organisations.post("/organisations")
@idempotent
@organisations.doc(
    security=[{"platformToken": []}],
    parameters=[
        {
            "in": "header",
            "name": "X-Platform-Token",
            "required": True,
            "schema": {"type": "string"},
        },
        IDEMPOTENCY_KEY,
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
        organisation, admin, api_key = staffing.create_organisation(
            uow, body["name"], body["default_region"], body["admin"]
        )
        uow.commit()
    return {"organisation": organisation, "admin": admin, "api_key": api_key}


@auth.post("/auth/token")
@idempotent
@auth.doc(security=[], parameters=[IDEMPOTENCY_KEY])
@auth.arguments(schemas.TokenRequestSchema)
@auth.response(200, schemas.TokenSchema)
@documents_errors(auth, 400, 401, 422)
def create_token(body):
    """Exchange an API key for a short-lived access token."""
    runtime = current_runtime()
    # Stamped before the key is read: a revocation committed after that read must find
    # the token older than its cut-off.
    issued_at = runtime.clock()
    with runtime.session_factory() as session:
        principal = staffing.principal_for_api_key(session, body["api_key"])
    ttl = runtime.settings.token_ttl_seconds
    return {
        "access_token": issue_token(
            runtime.settings.jwt_secret, principal, ttl, issued_at=issued_at
        ),
        "token_type": "Bearer",
        "expires_in": ttl,
    }


# -- staff and API keys ---------------------------------------------------------------------


@staff_routes.post("/staff")
@requires_role("org_admin")
@idempotent
@staff_routes.doc(parameters=[IDEMPOTENCY_KEY])
@staff_routes.arguments(schemas.StaffCreateSchema)
@staff_routes.response(201, schemas.StaffCreatedSchema)
@documents_errors(staff_routes, 400, 401, 403, 409, 422)
def create_staff(body):
    """Add a coach or org admin; their first API key is shown once. Emits ``staff.created``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        staff, api_key = staffing.create_staff(uow, principal, body)
        uow.commit()
    location = url_for("staff.get_staff", staff_id=staff.id)
    return {"staff": staff, "api_key": api_key}, 201, {"Location": location}


@staff_routes.get("/staff")
@requires_role("org_admin")
@staff_routes.arguments(schemas.StaffQuerySchema, location="query")
@staff_routes.response(200, schemas.StaffPageSchema)
@documents_errors(staff_routes, 400, 401, 403, 422)
def list_staff(query):
    """Coaches and admins of your organisation."""
    principal = current_principal()
    stmt = select(StaffMember).where(StaffMember.tenant_id == principal.tenant_id)
    if "role" in query:
        stmt = stmt.where(StaffMember.role == query["role"])
    if "active" in query:
        stmt = stmt.where(StaffMember.active.is_(query["active"]))
    with current_runtime().session_factory() as session:
        return paginate(session, stmt, StaffMember, query["cursor"], query["limit"])


@staff_routes.get("/staff/<uuid:staff_id>")
@requires_role("org_admin")
@staff_routes.response(200, schemas.StaffSchema)
@documents_errors(staff_routes, 401, 403, 404)
def get_staff(staff_id: uuid.UUID):
    """One staff member of your organisation."""
    with current_runtime().session_factory() as session:
        return staffing.get_staff(session, current_principal(), staff_id)


@staff_routes.patch("/staff/<uuid:staff_id>")
@requires_role("org_admin")
@staff_routes.arguments(schemas.StaffPatchSchema)
@staff_routes.response(200, schemas.StaffSchema)
@documents_errors(staff_routes, 400, 401, 403, 404, 409, 422)
def update_staff(body, staff_id: uuid.UUID):
    """Rename, change role, deactivate or reactivate; emits ``staff.updated``, and
    ``staff.access_changed`` for a role or activation change. A deactivated member's
    access tokens stop working on every service within seconds, and stay refused after
    a reactivation (new ones work); a new role applies to tokens already issued."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        staff = staffing.get_staff(uow.session, principal, staff_id)
        staffing.update_staff(uow, principal, staff, body)
        uow.commit()
    return staff


@staff_routes.get("/staff/<uuid:staff_id>/keys")
@requires_role("org_admin")
@staff_routes.response(200, schemas.ApiKeyListSchema)
@documents_errors(staff_routes, 401, 403, 404)
def list_keys(staff_id: uuid.UUID):
    """A staff member's API keys (never their secrets)."""
    with current_runtime().session_factory() as session:
        staff = staffing.get_staff(session, current_principal(), staff_id)
        return {"items": staffing.keys_of(session, staff)}


@staff_routes.post("/staff/<uuid:staff_id>/keys")
@requires_role("org_admin")
@idempotent
@staff_routes.doc(parameters=[IDEMPOTENCY_KEY])
@staff_routes.response(201, schemas.ApiKeyIssuedSchema)
@documents_errors(staff_routes, 401, 403, 404, 409, 422)
def issue_key(staff_id: uuid.UUID):
    """Issue another API key; the key is shown once."""
    with current_runtime().unit_of_work() as uow:
        staff = staffing.get_staff(uow.session, current_principal(), staff_id)
        key, api_key = staffing.new_api_key(uow.session, staff)
        uow.commit()
    return _issued(key, api_key)


@staff_routes.delete("/staff/<uuid:staff_id>/keys/<uuid:key_id>")
@requires_role("org_admin")
@staff_routes.response(204)
@documents_errors(staff_routes, 401, 403, 404)
def revoke_key(staff_id: uuid.UUID, key_id: uuid.UUID):
    """Revoke an API key. The member's access tokens stop working on every service within
    seconds (a token does not say which key bought it); their other keys buy new ones.
    Emits ``staff.access_changed``."""
    with current_runtime().unit_of_work() as uow:
        staff = staffing.get_staff(uow.session, current_principal(), staff_id)
        staffing.revoke_key(uow, staff, staffing.get_key(uow.session, staff, key_id))
        uow.commit()


@staff_routes.post("/staff/<uuid:staff_id>/keys/<uuid:key_id>/rotate")
@requires_role("org_admin")
@idempotent
@staff_routes.doc(parameters=[IDEMPOTENCY_KEY])
@staff_routes.response(201, schemas.ApiKeyIssuedSchema)
@documents_errors(staff_routes, 401, 403, 404, 409, 422)
def rotate_key(staff_id: uuid.UUID, key_id: uuid.UUID):
    """Revoke a key and issue its replacement (shown once); as with a revocation, the
    member's access tokens stop working. Emits ``staff.access_changed``."""
    with current_runtime().unit_of_work() as uow:
        staff = staffing.get_staff(uow.session, current_principal(), staff_id)
        old = staffing.get_key(uow.session, staff, key_id)
        key, api_key = staffing.rotate_key(uow, staff, old)
        uow.commit()
    return _issued(key, api_key)


def _issued(key, api_key: str) -> tuple[dict, int]:
    return {
        "id": key.id,
        "staff_id": key.staff_id,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
        "api_key": api_key,
    }, 201


# -- clients --------------------------------------------------------------------------------


def _with_etag(client: Client | Row, status: int = 200, **headers) -> tuple:
    return client, status, {"ETag": etag_of(client.id, client.version), **headers}


@client_routes.post("/clients")
@requires_role("org_admin", "coach")
@idempotent
@client_routes.doc(parameters=[IDEMPOTENCY_KEY])
@client_routes.arguments(schemas.ClientCreateSchema)
@client_routes.response(201, schemas.ClientSchema)
@documents_errors(client_routes, 400, 401, 403, 409, 410, 422)
def refer_client(body):
    """Refer a new client: contact details, timezone and channel consent."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = clients.refer_client(uow, principal, body)
        uow.commit()
    location = url_for("clients.get_client", client_id=client.id)
    return _with_etag(client, 201, Location=location)


@client_routes.get("/clients")
@requires_role("org_admin", "coach")
@client_routes.arguments(schemas.ClientQuerySchema, location="query")
@client_routes.response(200, schemas.ClientPageSchema)
@documents_errors(client_routes, 400, 401, 403, 422)
def list_clients(query):
    """Clients you may see: a coach's own (assigned or referred), or all for an admin."""
    stmt = scoping.list_query(current_principal(), query)
    with current_runtime().session_factory() as session:
        return paginate(session, stmt, Client, query["cursor"], query["limit"])


@client_routes.get("/clients/<uuid:client_id>")
@requires_role("org_admin", "coach")
@client_routes.response(200, schemas.ClientSchema)
@documents_errors(client_routes, 401, 403, 404)
def get_client(client_id: uuid.UUID):
    """A client you may see, with its ``ETag`` for a later ``If-Match``."""
    principal: Principal = current_principal()
    return _with_etag(
        current_runtime().read(lambda db: scoping.read_client(db, principal, client_id))
    )


@client_routes.patch("/clients/<uuid:client_id>")
@requires_role("org_admin", "coach")
@client_routes.doc(
    parameters=[
        {
            "in": "header",
            "name": "If-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "The ETag you read; a stale one is refused with 412.",
        }
    ]
)
@client_routes.arguments(schemas.ClientPatchSchema)
@client_routes.response(200, schemas.ClientSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 409, 412, 422)
def update_client(body, client_id: uuid.UUID):
    """Change contact details, timezone, references or coach; emits ``client.updated``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        require_fresh(etag_of(client.id, client.version))
        clients.update_client(uow, principal, client, body)
        uow.commit()
    return _with_etag(client)


@client_routes.delete("/clients/<uuid:client_id>")
@requires_role("org_admin")
@client_routes.response(204)
@documents_errors(client_routes, 401, 403, 404)
def erase_client(client_id: uuid.UUID):
    """Erase the client's personal data here and, through ``client.erased``, everywhere."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        erasure.erase_client(uow, principal, client)
        uow.commit()


@client_routes.get("/clients/<uuid:client_id>/audit")
@requires_role("org_admin")
@client_routes.arguments(schemas.AuditQuerySchema, location="query")
@client_routes.response(200, schemas.AuditPageSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 422)
def client_audit(query, client_id: uuid.UUID):
    """Who changed which fields of a client, and when (never the values); kept after erasure."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.any_client_for(uow.session, principal, client_id)
        return paginate(
            uow.session,
            audit.trail_query(client),
            ClientAuditEntry,
            query["cursor"],
            query["limit"],
        )


@client_routes.get("/clients/<uuid:client_id>/consent")
@requires_role("org_admin", "coach")
@client_routes.response(200, schemas.ConsentStateSchema)
@documents_errors(client_routes, 401, 403, 404)
def get_consent(client_id: uuid.UUID):
    """Current consent per channel and every grant and withdrawal behind it."""
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, current_principal(), client_id)
        return {"current": consent.current(client), "records": consent.history(uow, client)}


@client_routes.post("/clients/<uuid:client_id>/consent")
@requires_role("org_admin", "coach")
@idempotent
@client_routes.doc(parameters=[IDEMPOTENCY_KEY])
@client_routes.arguments(schemas.ConsentChangeSchema)
@client_routes.response(200, schemas.ConsentStateSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 409, 410, 422)
def change_consent(body, client_id: uuid.UUID):
    """Record consent given or withdrawn (form or verbal); emits ``client.updated``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        clients.change_consent(
            uow, principal, client, body["channel"], body["granted"], body["method"]
        )
        uow.commit()
        return {"current": consent.current(client), "records": consent.history(uow, client)}


@client_routes.put("/clients/<uuid:client_id>/assessment")
@requires_role("org_admin", "coach")
@client_routes.arguments(schemas.AssessmentInputSchema)
@client_routes.response(200, schemas.AssessmentSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 409, 422)
def put_assessment(body, client_id: uuid.UUID):
    """Record the client's assessment (K10 and WEMWBS scored here); earlier versions stay."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        assessment = assessments.record_assessment(uow, principal, client, body)
        uow.commit()
    return assessment


@client_routes.get("/clients/<uuid:client_id>/assessments")
@requires_role("org_admin", "coach")
@client_routes.response(200, schemas.AssessmentHistorySchema)
@documents_errors(client_routes, 401, 403, 404)
def assessment_history(client_id: uuid.UUID):
    """Every version of the client's assessment, latest first."""
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, current_principal(), client_id)
        return {"items": assessments.assessment_history(uow, client)}


@client_routes.post("/clients/<uuid:client_id>/onboard")
@requires_role("org_admin", "coach")
@idempotent
@client_routes.doc(parameters=[IDEMPOTENCY_KEY])
@client_routes.arguments(schemas.OnboardSchema)
@client_routes.response(200, schemas.ClientSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 409, 410, 422)
def onboard(body, client_id: uuid.UUID):
    """Onboard an assessed client with a coach; emits ``client.onboarded``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        onboarding.onboard_client(uow, principal, client, body["coach_id"])
        uow.commit()
    return _with_etag(client)


@client_routes.post("/clients/<uuid:client_id>/discharge")
@requires_role("org_admin")
@idempotent
@client_routes.doc(parameters=[IDEMPOTENCY_KEY])
@client_routes.arguments(schemas.DischargeSchema)
@client_routes.response(200, schemas.ClientSchema)
@documents_errors(client_routes, 400, 401, 403, 404, 409, 410, 422)
def discharge(body, client_id: uuid.UUID):
    """Discharge a client with a reason; emits ``client.discharged``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        clients.discharge_client(uow, principal, client, body["reason"])
        uow.commit()
    return _with_etag(client)


def blueprints():
    return (organisations, auth, staff_routes, client_routes)
