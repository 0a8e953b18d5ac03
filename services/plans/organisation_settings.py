"""Per-organisation settings of plans: review interval, when a check-in counts as missed."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from services.plans.models import OrganisationSettings

DEFAULT_REVIEW_INTERVAL_WEEKS = 12
DEFAULT_MISSED_CHECKIN_AFTER_MINUTES = 24 * 60


def settings_of(session: Session, tenant_id: uuid.UUID) -> OrganisationSettings:
    """The tenant's settings, or the defaults (not added to the session) if never set."""
    return session.get(OrganisationSettings, tenant_id) or OrganisationSettings(
        tenant_id=tenant_id,
        review_interval_weeks=DEFAULT_REVIEW_INTERVAL_WEEKS,
        missed_checkin_after_minutes=DEFAULT_MISSED_CHECKIN_AFTER_MINUTES,
        escalation_client_reminder_after_minutes=30,
        escalation_supporters_after_missed=1,
        escalation_supporters_after_minutes=120,
        version=0,
    )
