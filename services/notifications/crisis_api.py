"""``/v1/organisation/crisis-settings``: the crisis phrases and crisis text (org admins)."""

from __future__ import annotations

from dataclasses import asdict

from services.notifications import schemas
from services.notifications.crisis_settings import change_crisis_settings, crisis_settings_for
from shared.auth import current_principal
from shared.runtime import current_runtime
from shared.web.endpoints import ADMIN, ApiBlueprint

crisis = ApiBlueprint(
    "crisis",
    __name__,
    roles=ADMIN,
    description="What makes a client's reply a crisis message, and what they are told",
)


@crisis.get("/organisation/crisis-settings", response=schemas.CrisisSettingsOutSchema)
def get_crisis_settings():
    """The phrases a reply is read as a crisis by, and the crisis text (defaults if unset)."""
    with current_runtime().session_factory() as session:
        return asdict(crisis_settings_for(session, current_principal().tenant_id))


@crisis.put(
    "/organisation/crisis-settings",
    body=schemas.CrisisSettingsSchema,
    response=schemas.CrisisSettingsOutSchema,
)
def put_crisis_settings(body):
    """Change them; fields left out keep their value, null goes back to the default."""
    with current_runtime().unit_of_work() as uow:
        settings = change_crisis_settings(uow.session, current_principal().tenant_id, body)
        uow.commit()
    return asdict(settings)
