"""A client's assessments: each one a new version, the K10 and WEMWBS scored here, the
first one moving a referred client on to assessed."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.intake import audit, lifecycle, measures
from services.intake.clients import flush_client
from services.intake.models import Assessment, Client
from shared.db import UnitOfWork
from shared.errors import Conflict
from shared.principals import Principal


def latest_assessment(uow: UnitOfWork, client: Client) -> Assessment | None:
    return uow.session.scalar(
        select(Assessment)
        .where(Assessment.client_id == client.id, Assessment.tenant_id == client.tenant_id)
        .order_by(Assessment.version.desc())
        .limit(1)
    )


def assessment_history(uow: UnitOfWork, client: Client) -> list[Assessment]:
    return list(
        uow.session.scalars(
            select(Assessment)
            .where(Assessment.client_id == client.id, Assessment.tenant_id == client.tenant_id)
            .order_by(Assessment.version.desc())
        )
    )


def _scored(answers: dict) -> dict:
    """Replace the raw K10 / WEMWBS items with the items and the service's own scores."""
    k10, wemwbs = answers.pop("k10", None), answers.pop("wemwbs", None)
    if k10 is not None:
        score = measures.score_k10(k10["items"])
        answers |= {"k10_items": k10["items"], "k10_total": score.total, "k10_band": score.band}
    if wemwbs is not None:
        answers |= {
            "wemwbs_items": wemwbs["items"],
            "wemwbs_total": measures.score_wemwbs(wemwbs["items"]),
        }
    return answers


def record_assessment(
    uow: UnitOfWork, principal: Principal, client: Client, answers: dict
) -> Assessment:
    if client.status == "discharged":
        raise Conflict(
            "A discharged client cannot be assessed.",
            errors={"status": ["Cannot assess a discharged client."]},
        )
    version = (
        uow.session.scalar(
            select(func.max(Assessment.version)).where(Assessment.client_id == client.id)
        )
        or 0
    ) + 1
    assessment = Assessment(
        id=uuid.uuid4(),
        tenant_id=client.tenant_id,
        client_id=client.id,
        version=version,
        assessed_by=principal.staff_id,
        **_scored(dict(answers)),
    )
    uow.session.add(assessment)
    if client.status == "referred":
        lifecycle.require_move(client.status, "assessed")
        client.status = "assessed"
    flush_client(uow)
    audit.record(uow, client, "assessed", sorted(answers), principal.staff_id)
    return assessment


def assessment_summary(assessment: Assessment) -> dict:
    """What ``client.onboarded`` carries of the assessment."""
    return {
        "version": assessment.version,
        "domain_ratings": assessment.domain_ratings,
        "strengths": assessment.strengths,
        "challenges": assessment.challenges,
        "aspirations": assessment.aspirations,
        "k10": _k10_summary(assessment),
        "wemwbs": _wemwbs_summary(assessment),
    }


def _k10_summary(assessment: Assessment) -> dict | None:
    if assessment.k10_total is None:
        return None
    return {"total": assessment.k10_total, "band": assessment.k10_band}


def _wemwbs_summary(assessment: Assessment) -> dict | None:
    if assessment.wemwbs_total is None:
        return None
    total = assessment.wemwbs_total
    return {"total": total, "band": measures.wemwbs_band(total)}
