"""``/v1/organisation/crisis-settings``: the organisation's own crisis phrases and crisis
texts, beside the platform's patterns and texts they add to (org admins)."""

from __future__ import annotations

from services.notifications import schemas
from services.notifications.replies.crisis_settings import (
    change_crisis_settings,
    crisis_settings_for,
)
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
    """The platform's crisis patterns and texts (``defaults``), and the organisation's own
    additional phrases and crisis texts, apart."""
    with current_runtime().session_factory() as session:
        return crisis_settings_for(session, current_principal().tenant_id).described()


@crisis.put(
    "/organisation/crisis-settings",
    body=schemas.CrisisSettingsSchema,
    response=schemas.CrisisSettingsOutSchema,
)
def put_crisis_settings(body):
    """Change the organisation's own settings; fields left out keep their value, null goes
    back to none of its own. Phrases only add to the platform's patterns."""
    with current_runtime().unit_of_work() as uow:
        settings = change_crisis_settings(uow.session, current_principal().tenant_id, body)
        uow.commit()
    return settings.described()
