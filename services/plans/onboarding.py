"""A client onboarded in intake (``client.onboarded``): their plan is drafted from the
initial assessment, and that assessment becomes the newest one known for the plans they
already have."""

from __future__ import annotations

from services.plans import profiles
from services.plans.client_plans import plans_of_client
from services.plans.drafting import draft_plan_from_onboarding, measures_of
from services.plans.models import RecoveryPlan
from shared.db import UnitOfWork
from shared.events import Event
from shared.events.data import AssessmentSummary


def start_plan(uow: UnitOfWork, event: Event) -> None:
    """Draft a plan; the assessment becomes the newest one known for earlier plans too."""
    note_newest_assessment(plans_of_client(uow, event), event.data.assessment)
    draft_plan_from_onboarding(event, uow)  # written at commit, adopted if needed
    profiles.remember_client(uow, event)


def note_newest_assessment(plans: list[RecoveryPlan], assessment: AssessmentSummary) -> None:
    """Each plan keeps the newest ratings and measures it has heard of (a late, older
    assessment changes nothing)."""
    for plan in plans:
        if assessment.version >= (plan.latest_assessment_version or plan.assessment_version):
            plan.latest_ratings = assessment.domain_ratings
            plan.latest_assessment_version = assessment.version
            plan.latest_measures = measures_of(assessment)
