"""``/v1/organisation/crisis-settings``: the organisation's own crisis phrases and crisis
texts, beside the platform's patterns and texts they add to (org admins)."""

from __future__ import annotations

from services.notifications import schemas
from services.notifications.replies import use_cases
from shared.use_case import as_caller
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
    return as_caller(use_cases.crisis_settings)


@crisis.put(
    "/organisation/crisis-settings",
    body=schemas.CrisisSettingsSchema,
    response=schemas.CrisisSettingsOutSchema,
)
def put_crisis_settings(body):
    """Change the organisation's own settings; fields left out keep their value, null goes
    back to none of its own. Phrases only add to the platform's patterns."""
    return as_caller(use_cases.change_crisis, body)
