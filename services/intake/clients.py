"""Client rules: referral, assessment, onboarding; each change emits its event."""

from __future__ import annotations

import uuid

import phonenumbers
from sqlalchemy import func, select

from services.intake.models import Assessment, Client, Organisation, StaffMember
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, NotFound, Unprocessable


def normalise_phone(raw: str, region: str) -> str:
    """Return the number in E.164, reading it in the organisation's default region."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Unprocessable(
            "The phone number is not valid.", errors={"phone": ["Not a valid phone number."]}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def get_client(uow: UnitOfWork, principal: Principal, client_id: uuid.UUID) -> Client:
    """A client of the caller's organisation; another tenant's client does not exist."""
    client = uow.session.scalar(
        select(Client).where(Client.id == client_id, Client.tenant_id == principal.tenant_id)
    )
    if client is None:
        raise NotFound("No such client.")
    return client


def contact_of(client: Client) -> dict:
    return {
        "given_name": client.given_name,
        "preferred_name": client.preferred_name,
        "email": client.email,
        "phone": client.phone,
        "timezone": client.timezone,
        "locale": client.locale,
        "consent": {"email": client.consent_email, "sms": client.consent_sms},
    }


def refer_client(uow: UnitOfWork, principal: Principal, fields: dict) -> Client:
    organisation = uow.session.get(Organisation, principal.tenant_id)
    consent = fields.pop("consent")
    errors = {}
    if consent["email"] and not fields.get("email"):
        errors["email"] = ["Email consent needs an email address."]
    if consent["sms"] and not fields.get("phone"):
        errors["phone"] = ["SMS consent needs a phone number."]
    if errors:
        raise Unprocessable("Consent was given for a channel without an address.", errors=errors)
    if fields.get("phone"):
        fields["phone"] = normalise_phone(fields["phone"], organisation.default_region)
    if fields.get("email"):
        fields["email"] = fields["email"].strip()
    client = Client(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        referred_by=principal.staff_id,
        consent_email=consent["email"],
        consent_sms=consent["sms"],
        status="referred",
        **fields,
    )
    uow.session.add(client)
    uow.session.flush()
    uow.publish(
        "client.referred",
        client.tenant_id,
        {"client_id": client.id, "contact": contact_of(client)},
        aggregate_id=client.id,
    )
    return client


def latest_assessment(uow: UnitOfWork, client: Client) -> Assessment | None:
    return uow.session.scalar(
        select(Assessment)
        .where(Assessment.client_id == client.id, Assessment.tenant_id == client.tenant_id)
        .order_by(Assessment.version.desc())
        .limit(1)
    )


def record_assessment(
    uow: UnitOfWork, principal: Principal, client: Client, answers: dict
) -> Assessment:
    if client.status == "discharged":
        raise Conflict("A discharged client cannot be assessed.")
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
        **answers,
    )
    uow.session.add(assessment)
    if client.status == "referred":
        client.status = "assessed"
    uow.session.flush()
    return assessment


def onboard_client(
    uow: UnitOfWork, principal: Principal, client: Client, coach_id: uuid.UUID
) -> Client:
    if client.status == "referred":
        raise Conflict("The client needs an assessment before onboarding.")
    if client.status != "assessed":
        raise Conflict(f"A client who is {client.status} cannot be onboarded.")
    coach = uow.session.scalar(
        select(StaffMember).where(
            StaffMember.id == coach_id,
            StaffMember.tenant_id == principal.tenant_id,
            StaffMember.active.is_(True),
        )
    )
    if coach is None:
        raise Unprocessable(
            "No such coach in your organisation.", errors={"coach_id": ["No such staff member."]}
        )
    assessment = latest_assessment(uow, client)
    client.status = "onboarded"
    client.coach_id = coach.id
    uow.session.flush()
    uow.publish(
        "client.onboarded",
        client.tenant_id,
        {
            "client_id": client.id,
            "coach_id": coach.id,
            "timezone": client.timezone,
            "contact": contact_of(client),
            "assessment": {
                "version": assessment.version,
                "domain_ratings": assessment.domain_ratings,
                "strengths": assessment.strengths,
                "challenges": assessment.challenges,
                "aspirations": assessment.aspirations,
            },
        },
        aggregate_id=client.id,
    )
    return client
