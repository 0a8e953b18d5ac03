"""Crisis texts from numbers no confirmed record has (``crisis_answers``): an
organisation's admins see those sent to its own numbers; the platform operator (with
``X-Platform-Token``) sees those sent to the shared number. Each was answered with the
crisis text at once; these lists are for following up."""

from __future__ import annotations

import hmac

from flask import request

from services.notifications import schemas
from services.notifications.replies import use_cases
from shared.errors import Unauthorized
from shared.runtime import current_runtime
from shared.use_case import as_caller
from shared.web.endpoints import ADMIN, ApiBlueprint

PLATFORM_TOKEN = {
    "in": "header",
    "name": "X-Platform-Token",
    "required": True,
    "schema": {"type": "string"},
}

unrouted = ApiBlueprint(
    "unrouted",
    __name__,
    roles=ADMIN,
    description="Crisis texts from numbers no confirmed client record has",
)


@unrouted.get("/organisation/unrouted-messages", response=schemas.UnroutedMessageSchema(many=True))
def organisation_unrouted_messages():
    """The newest 100 crisis texts sent to your organisation's own numbers from numbers
    no confirmed client record has."""
    return as_caller(use_cases.organisation_unrouted)


@unrouted.get(
    "/platform/unrouted-messages",
    roles=None,
    response=schemas.UnroutedMessageSchema(many=True),
    errors=(401,),
    doc={"security": [], "parameters": [PLATFORM_TOKEN]},
)
def platform_unrouted_messages():
    """The newest 100 crisis texts sent to the shared number from numbers no confirmed
    client record has (platform operator, ``X-Platform-Token``)."""
    runtime = current_runtime()
    token = request.headers.get("X-Platform-Token", "")
    if not hmac.compare_digest(token.encode(), runtime.settings.platform_admin_token.encode()):
        raise Unauthorized("A valid X-Platform-Token header is required.")
    return use_cases.newest_unrouted(runtime.unit_of_work(), None)
