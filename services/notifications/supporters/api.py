"""``/v1/clients/{id}/supporters`` and ``/v1/clients/{id}/disclosures``: a client's
supporters, for their coach or the organisation's admins (any other client is a 404)."""

from __future__ import annotations

import uuid

from services.notifications.supporters import schemas, use_cases
from shared.pagination import PageQuerySchema
from shared.use_case import as_caller
from shared.web.endpoints import STAFF, ApiBlueprint

supporters = ApiBlueprint(
    "supporters",
    __name__,
    roles=STAFF,
    description="A client's supporters (trusted contacts), and what they were told",
)


@supporters.get("/clients/<uuid:client_id>/supporters", response=schemas.SupporterListSchema)
def list_supporters(client_id: uuid.UUID):
    """The client's supporters (up to 5 at a time), removed ones included, oldest first."""
    return as_caller(use_cases.list_supporters, client_id)


@supporters.post(
    "/clients/<uuid:client_id>/supporters",
    body=schemas.SupporterInSchema,
    response=schemas.SupporterSchema,
    status=201,
    errors=(409,),
)
def add_supporter(body, client_id: uuid.UUID):
    """Invite a supporter, with the client's consent given to you (``consent``); the
    ``crisis`` scope needs its own (``crisis_consent``). They get one message naming the
    client's first name and the organisation and become active when they reply YES or
    confirm by its link. A sixth supporter is a 409."""
    return as_caller(use_cases.add_supporter, client_id, body)


@supporters.delete("/clients/<uuid:client_id>/supporters/<uuid:supporter_id>", status=204)
def remove_supporter(client_id: uuid.UUID, supporter_id: uuid.UUID):
    """Remove a supporter: nothing more is sent to them."""
    as_caller(use_cases.remove_supporter, client_id, supporter_id)


@supporters.get(
    "/clients/<uuid:client_id>/disclosures",
    query=PageQuerySchema,
    response=schemas.DisclosurePageSchema,
)
def list_disclosures(query, client_id: uuid.UUID):
    """Every message sent to the client's supporters: to whom, what (its exact text),
    when, and under which consent, oldest first."""
    return as_caller(use_cases.disclosures, client_id, query)
