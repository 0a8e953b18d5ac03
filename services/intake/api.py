"""Intake's HTTP API: organisations, tokens, staff and keys, clients, consent, assessments,
onboarding, discharge, erasure and the audit trail."""

from __future__ import annotations

import hmac
import uuid

from flask import request, url_for
from sqlalchemy import select

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
from shared.auth import Principal, current_principal, issue_token
from shared.errors import Unauthorized
from shared.pagination import PageQuerySchema, paginate
from shared.runtime import current_runtime
from shared.web.endpoints import ADMIN, STAFF, ApiBlueprint
from shared.web.etag import etag_of, require_fresh, tagged

PLATFORM_TOKEN = {
    "in": "header",
    "name": "X-Platform-Token",
    "required": True,
    "schema": {"type": "string"},
}

# No staff role on these two: the platform operator creates organisations (X-Platform-Token),
# and anyone holding an API key buys an access token with it.
organisations = ApiBlueprint(
    "organisations", __name__, roles=None, description="Provider organisations (tenants)"
)
auth = ApiBlueprint("auth", __name__, roles=None, description="Access tokens")
staff_routes = ApiBlueprint(
    "staff", __name__, roles=ADMIN, description="Staff members and their API keys"
)
client_routes = ApiBlueprint(
    "clients", __name__, roles=STAFF, description="Clients: referral, assessment, onboarding"
)


@organisations.post(
    "/organisations",
    body=schemas.OrganisationCreateSchema,
    response=schemas.OrganisationCreatedSchema,
    status=201,
    errors=(401,),
    doc={"security": [{"platformToken": []}], "parameters": [PLATFORM_TOKEN]},
)
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


@auth.post(
    "/auth/token",
    body=schemas.TokenRequestSchema,
    response=schemas.TokenSchema,
    errors=(401,),
    doc={"security": []},
)
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


@staff_routes.post(
    "/staff", body=schemas.StaffCreateSchema, response=schemas.StaffCreatedSchema, status=201
)
def create_staff(body):
    """Add a coach or org admin; their first API key is shown once. Emits ``staff.created``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        staff, api_key = staffing.create_staff(uow, principal, body)
        uow.commit()
    location = url_for("staff.get_staff", staff_id=staff.id)
    return {"staff": staff, "api_key": api_key}, 201, {"Location": location}


@staff_routes.get("/staff", query=schemas.StaffQuerySchema, response=schemas.StaffPageSchema)
def list_staff(query):
    """Coaches and admins of your organisation."""
    principal = current_principal()
    stmt = select(StaffMember).where(StaffMember.tenant_id == principal.tenant_id)
    if "role" in query:
        stmt = stmt.where(StaffMember.role == query["role"])
    if "active" in query:
        stmt = stmt.where(StaffMember.active.is_(query["active"]))
    with current_runtime().session_factory() as session:
        return paginate(session, stmt, StaffMember, query)


@staff_routes.get("/staff/<uuid:staff_id>", response=schemas.StaffSchema)
def get_staff(staff_id: uuid.UUID):
    """One staff member of your organisation."""
    with current_runtime().session_factory() as session:
        return staffing.get_staff(session, current_principal(), staff_id)


@staff_routes.patch(
    "/staff/<uuid:staff_id>",
    body=schemas.StaffPatchSchema,
    response=schemas.StaffSchema,
    errors=(409,),
)
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


@staff_routes.get("/staff/<uuid:staff_id>/keys", response=schemas.ApiKeyListSchema)
def list_keys(staff_id: uuid.UUID):
    """A staff member's API keys (never their secrets)."""
    with current_runtime().session_factory() as session:
        staff = staffing.get_staff(session, current_principal(), staff_id)
        return {"items": staffing.keys_of(session, staff)}


@staff_routes.post("/staff/<uuid:staff_id>/keys", response=schemas.ApiKeyIssuedSchema, status=201)
def issue_key(staff_id: uuid.UUID):
    """Issue another API key; the key is shown once."""
    with current_runtime().unit_of_work() as uow:
        staff = staffing.get_staff(uow.session, current_principal(), staff_id)
        key, api_key = staffing.new_api_key(uow.session, staff)
        uow.commit()
    return _issued(key, api_key)


@staff_routes.delete("/staff/<uuid:staff_id>/keys/<uuid:key_id>", status=204)
def revoke_key(staff_id: uuid.UUID, key_id: uuid.UUID):
    """Revoke an API key. The member's access tokens stop working on every service within
    seconds (a token does not say which key bought it); their other keys buy new ones.
    Emits ``staff.access_changed``."""
    with current_runtime().unit_of_work() as uow:
        staff = staffing.get_staff(uow.session, current_principal(), staff_id)
        staffing.revoke_key(uow, staff, staffing.get_key(uow.session, staff, key_id))
        uow.commit()


@staff_routes.post(
    "/staff/<uuid:staff_id>/keys/<uuid:key_id>/rotate",
    response=schemas.ApiKeyIssuedSchema,
    status=201,
)
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


@client_routes.post(
    "/clients",
    body=schemas.ClientCreateSchema,
    response=schemas.ClientSchema,
    status=201,
    errors=(410,),
)
def refer_client(body):
    """Refer a new client: contact details, timezone and channel consent."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = clients.refer_client(uow, principal, body)
        uow.commit()
    location = url_for("clients.get_client", client_id=client.id)
    return tagged(client, status=201, Location=location)


@client_routes.get("/clients", query=schemas.ClientQuerySchema, response=schemas.ClientPageSchema)
def list_clients(query):
    """Clients you may see: a coach's own (assigned or referred), or all for an admin."""
    stmt = scoping.list_query(current_principal(), query)
    with current_runtime().session_factory() as session:
        return paginate(session, stmt, Client, query)


@client_routes.get("/clients/<uuid:client_id>", response=schemas.ClientSchema)
def get_client(client_id: uuid.UUID):
    """A client you may see, with its ``ETag`` for a later ``If-Match``."""
    principal: Principal = current_principal()
    return tagged(current_runtime().read(lambda db: scoping.read_client(db, principal, client_id)))


@client_routes.patch(
    "/clients/<uuid:client_id>",
    body=schemas.ClientPatchSchema,
    response=schemas.ClientSchema,
    if_match=True,
    errors=(409,),
)
def update_client(body, client_id: uuid.UUID):
    """Change contact details, timezone, references or coach; emits ``client.updated``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        require_fresh(etag_of(client.id, client.version))
        clients.update_client(uow, principal, client, body)
        uow.commit()
    return tagged(client)


@client_routes.delete("/clients/<uuid:client_id>", roles=ADMIN, status=204)
def erase_client(client_id: uuid.UUID):
    """Erase the client's personal data here and, through ``client.erased``, everywhere."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        erasure.erase_client(uow, principal, client)
        uow.commit()


@client_routes.get(
    "/clients/<uuid:client_id>/audit",
    roles=ADMIN,
    query=PageQuerySchema,
    response=schemas.AuditPageSchema,
)
def client_audit(query, client_id: uuid.UUID):
    """Who changed which fields of a client, and when (never the values); kept after erasure."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.any_client_for(uow.session, principal, client_id)
        return paginate(uow.session, audit.trail_query(client), ClientAuditEntry, query)


@client_routes.get("/clients/<uuid:client_id>/consent", response=schemas.ConsentStateSchema)
def get_consent(client_id: uuid.UUID):
    """Current consent per channel and every grant and withdrawal behind it."""
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, current_principal(), client_id)
        return {"current": consent.current(client), "records": consent.history(uow, client)}


@client_routes.post(
    "/clients/<uuid:client_id>/consent",
    body=schemas.ConsentChangeSchema,
    response=schemas.ConsentStateSchema,
    errors=(410,),
)
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


@client_routes.put(
    "/clients/<uuid:client_id>/assessment",
    body=schemas.AssessmentInputSchema,
    response=schemas.AssessmentSchema,
    errors=(409,),
)
def put_assessment(body, client_id: uuid.UUID):
    """Record the client's assessment (K10 and WEMWBS scored here); earlier versions stay."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        assessment = assessments.record_assessment(uow, principal, client, body)
        uow.commit()
    return assessment


@client_routes.get(
    "/clients/<uuid:client_id>/assessments", response=schemas.AssessmentHistorySchema
)
def assessment_history(client_id: uuid.UUID):
    """Every version of the client's assessment, latest first."""
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, current_principal(), client_id)
        return {"items": assessments.assessment_history(uow, client)}


@client_routes.post(
    "/clients/<uuid:client_id>/onboard",
    body=schemas.OnboardSchema,
    response=schemas.ClientSchema,
    errors=(410,),
)
def onboard(body, client_id: uuid.UUID):
    """Onboard an assessed client with a coach; emits ``client.onboarded``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        onboarding.onboard_client(uow, principal, client, body["coach_id"])
        uow.commit()
    return tagged(client)


@client_routes.post(
    "/clients/<uuid:client_id>/discharge",
    roles=ADMIN,
    body=schemas.DischargeSchema,
    response=schemas.ClientSchema,
    errors=(410,),
)
def discharge(body, client_id: uuid.UUID):
    """Discharge a client with a reason; emits ``client.discharged``."""
    principal = current_principal()
    with current_runtime().unit_of_work() as uow:
        client = scoping.client_for(uow.session, principal, client_id)
        clients.discharge_client(uow, principal, client, body["reason"])
        uow.commit()
    return tagged(client)


def blueprints():
    return (organisations, auth, staff_routes, client_routes)
