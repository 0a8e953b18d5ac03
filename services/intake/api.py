"""Intake's HTTP API: organisations, tokens, staff and keys, clients, consent, assessments,
onboarding, discharge, erasure and the audit trail."""

from __future__ import annotations

import hmac
import uuid

from flask import request, url_for

from services.intake import schemas, scoping, use_cases
from shared.auth import Principal, current_principal, issue_token
from shared.errors import Unauthorized
from shared.pagination import PageQuerySchema
from shared.runtime import current_runtime
from shared.use_case import as_caller
from shared.web.endpoints import ADMIN, STAFF, ApiBlueprint
from shared.web.etag import if_match, tagged

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
    return use_cases.create_organisation(
        runtime.unit_of_work(), body["name"], body["default_region"], body["admin"]
    )


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
    principal = use_cases.principal_for_api_key(runtime.unit_of_work(), body["api_key"])
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
    staff, api_key = as_caller(use_cases.create_staff, body)
    location = url_for("staff.get_staff", staff_id=staff.id)
    return {"staff": staff, "api_key": api_key}, 201, {"Location": location}


@staff_routes.get("/staff", query=schemas.StaffQuerySchema, response=schemas.StaffPageSchema)
def list_staff(query):
    """Coaches and admins of your organisation."""
    return as_caller(use_cases.list_staff, query)


@staff_routes.get("/staff/<uuid:staff_id>", response=schemas.StaffSchema)
def get_staff(staff_id: uuid.UUID):
    """One staff member of your organisation."""
    return as_caller(use_cases.get_staff, staff_id)


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
    return as_caller(use_cases.update_staff, staff_id, body)


@staff_routes.get("/staff/<uuid:staff_id>/keys", response=schemas.ApiKeyListSchema)
def list_keys(staff_id: uuid.UUID):
    """A staff member's API keys (never their secrets)."""
    return {"items": as_caller(use_cases.keys_of, staff_id)}


@staff_routes.post("/staff/<uuid:staff_id>/keys", response=schemas.ApiKeyIssuedSchema, status=201)
def issue_key(staff_id: uuid.UUID):
    """Issue another API key; the key is shown once."""
    return _issued(*as_caller(use_cases.issue_key, staff_id))


@staff_routes.delete("/staff/<uuid:staff_id>/keys/<uuid:key_id>", status=204)
def revoke_key(staff_id: uuid.UUID, key_id: uuid.UUID):
    """Revoke an API key. The member's access tokens stop working on every service within
    seconds (a token does not say which key bought it); their other keys buy new ones.
    Emits ``staff.access_changed``."""
    as_caller(use_cases.revoke_key, staff_id, key_id)


@staff_routes.post(
    "/staff/<uuid:staff_id>/keys/<uuid:key_id>/rotate",
    response=schemas.ApiKeyIssuedSchema,
    status=201,
)
def rotate_key(staff_id: uuid.UUID, key_id: uuid.UUID):
    """Revoke a key and issue its replacement (shown once); as with a revocation, the
    member's access tokens stop working. Emits ``staff.access_changed``."""
    return _issued(*as_caller(use_cases.rotate_key, staff_id, key_id))


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
    client = as_caller(use_cases.refer_client, body)
    location = url_for("clients.get_client", client_id=client.id)
    return tagged(client, status=201, Location=location)


@client_routes.get("/clients", query=schemas.ClientQuerySchema, response=schemas.ClientPageSchema)
def list_clients(query):
    """Clients you may see: a coach's own (assigned or referred), or all for an admin."""
    return as_caller(use_cases.list_clients, query)


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
    return tagged(as_caller(use_cases.update_client, client_id, body, if_match=if_match()))


@client_routes.delete("/clients/<uuid:client_id>", roles=ADMIN, status=204)
def erase_client(client_id: uuid.UUID):
    """Erase the client's personal data here and, through ``client.erased``, everywhere."""
    as_caller(use_cases.erase_client, client_id)


@client_routes.get(
    "/clients/<uuid:client_id>/audit",
    roles=ADMIN,
    query=PageQuerySchema,
    response=schemas.AuditPageSchema,
)
def client_audit(query, client_id: uuid.UUID):
    """Who changed which fields of a client, and when (never the values); kept after erasure."""
    return as_caller(use_cases.audit_trail, client_id, query)


@client_routes.get("/clients/<uuid:client_id>/consent", response=schemas.ConsentStateSchema)
def get_consent(client_id: uuid.UUID):
    """Current consent per channel and every grant and withdrawal behind it."""
    return as_caller(use_cases.consent_state, client_id)


@client_routes.post(
    "/clients/<uuid:client_id>/consent",
    body=schemas.ConsentChangeSchema,
    response=schemas.ConsentStateSchema,
    errors=(410,),
)
def change_consent(body, client_id: uuid.UUID):
    """Record consent given or withdrawn (form or verbal); emits ``client.updated``."""
    return as_caller(
        use_cases.change_consent, client_id, body["channel"], body["granted"], body["method"]
    )


@client_routes.put(
    "/clients/<uuid:client_id>/assessment",
    body=schemas.AssessmentInputSchema,
    response=schemas.AssessmentSchema,
    errors=(409,),
)
def put_assessment(body, client_id: uuid.UUID):
    """Record the client's assessment (K10 and WEMWBS scored here); earlier versions stay."""
    return as_caller(use_cases.record_assessment, client_id, body)


@client_routes.get(
    "/clients/<uuid:client_id>/assessments", response=schemas.AssessmentHistorySchema
)
def assessment_history(client_id: uuid.UUID):
    """Every version of the client's assessment, latest first."""
    return {"items": as_caller(use_cases.assessment_history, client_id)}


@client_routes.post(
    "/clients/<uuid:client_id>/onboard",
    body=schemas.OnboardSchema,
    response=schemas.ClientSchema,
    errors=(410,),
)
def onboard(body, client_id: uuid.UUID):
    """Onboard an assessed client with a coach; emits ``client.onboarded``."""
    return tagged(as_caller(use_cases.onboard, client_id, body["coach_id"]))


@client_routes.post(
    "/clients/<uuid:client_id>/discharge",
    roles=ADMIN,
    body=schemas.DischargeSchema,
    response=schemas.ClientSchema,
    errors=(410,),
)
def discharge(body, client_id: uuid.UUID):
    """Discharge a client with a reason; emits ``client.discharged``."""
    return tagged(as_caller(use_cases.discharge, client_id, body["reason"]))


def blueprints():
    return (organisations, auth, staff_routes, client_routes)
