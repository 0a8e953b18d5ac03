"""The fixed vocabulary of life domains used by assessments and goals (docs/ARCHITECTURE.md §7)."""

LIFE_DOMAINS = (
    "mental_health",
    "physical_health",
    "daily_living",
    "social_connection",
    "relationships",
    "housing",
    "work_study",
    "finances",
    "substance_use",
    "meaning_identity",
)

CHANNELS = ("email", "sms")
ROLES = ("org_admin", "coach")
