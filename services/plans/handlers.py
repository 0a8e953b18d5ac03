"""Events plans consumes."""

from services.plans.drafting import draft_plan_from_onboarding

HANDLERS = {
    "client.onboarded": draft_plan_from_onboarding,
}
