"""A client's intake record as FHIR R4 resources: pure functions over the rows its use
case read.

The mapping (docs/fhir.md): the client is a ``Patient`` (the same full URL as in plans'
export); each channel the client decided on is a ``Consent`` (scope privacy, opt-in or
opt-out as its policy rule, permit or deny as its provision) saying who recorded the
decision (the staff member, or the client themselves by SMS keyword or unsubscribe link),
when, and how (the platform's consent-method extension); each K10 and WEMWBS is a
``QuestionnaireResponse`` of its items and an ``Observation`` of its total, the band as
its interpretation. No LOINC code is asserted: the measures are coded in the platform's
code systems with their words as ``text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.intake.measures import K10_BANDS, WEMWBS_BANDS, k10_band, wemwbs_band
from services.intake.models import Assessment, Client, ConsentRecord, Organisation, StaffMember
from shared import fhir

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
LANGUAGE = "urn:ietf:bcp:47"
CONSENT_METHOD_EXTENSION = f"{fhir.PLATFORM_BASE}/StructureDefinition/consent-method"
CHANNEL_WORDS = {
    "email": "Consent to be contacted by email",
    "sms": "Consent to be contacted by SMS",
}
METHOD_WORDS = {
    "form": "Recorded by staff from a signed form",
    "verbal": "Recorded by staff from the client's spoken word",
    "sms_keyword": "The client texted a keyword (STOP / START)",
    "email_unsubscribe": "The client used the email's unsubscribe link",
}
BAND_WORDS = {
    "k10": {
        "low": "Low distress",
        "moderate": "Moderate distress",
        "high": "High distress",
        "very_high": "Very high distress",
    },
    "wemwbs": {
        "low": "Low wellbeing",
        "moderate": "Moderate wellbeing",
        "high": "High wellbeing",
    },
}
MEASURES = {
    # measure: (words, lowest total, bands as (upper bound, band))
    "k10": ("Kessler Psychological Distress Scale (K10)", 10, K10_BANDS),
    "wemwbs": ("Warwick-Edinburgh Mental Wellbeing Scale (WEMWBS)", 14, WEMWBS_BANDS),
}


@dataclass(frozen=True)
class ClientRecord:
    """What one client's export holds, as read in its use case."""

    client: Client
    organisation: Organisation | None
    staff: list[StaffMember]
    consent_records: list[ConsentRecord]
    assessments: list[Assessment]


def client_record_bundle(record: ClientRecord, now: datetime) -> dict:
    """The client's intake record as a FHIR R4 Bundle of type ``collection``."""
    client = record.client
    organisation = _organisation(client, record.organisation)
    practitioners = {member.id: _practitioner(client, member) for member in record.staff}
    patient = _patient(client, organisation)
    consents = [
        _consent(client, latest, patient, organisation, practitioners)
        for latest in _latest_per_channel(record.consent_records)
    ]
    measured = []
    for assessment in record.assessments:
        for measure in MEASURES:
            if getattr(assessment, f"{measure}_total") is not None:
                answers = _questionnaire_response(client, assessment, measure, patient,
                                                  practitioners)  # fmt: skip
                total = _total_score(client, assessment, measure, patient, answers, practitioners)
                measured += [answers, total]
    resources = [patient, organisation, *practitioners.values(), *consents, *measured]
    return fhir.collection(client.tenant_id, f"client/{client.id}", now, resources)


def _identifier(name: str, value: object) -> dict:
    return {"system": fhir.identifier_system(name), "value": str(value)}


def _id(client: Client, resource_type: str, key: object) -> str:
    return fhir.resource_id(client.tenant_id, resource_type, key)


# -- who ----------------------------------------------------------------------------------


def _organisation(client: Client, organisation: Organisation | None) -> dict:
    resource = {
        "resourceType": "Organization",
        "id": _id(client, "Organization", client.tenant_id),
        "identifier": [_identifier("organisation-id", client.tenant_id)],
        "active": True,
    }
    if organisation is not None:
        resource["name"] = organisation.name
    return resource


def _practitioner(client: Client, member: StaffMember) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": _id(client, "Practitioner", member.id),
        "identifier": [_identifier("staff-id", member.id)],
        "active": member.active,
        "name": [{"text": member.name}],
    }


def _patient(client: Client, organisation: dict) -> dict:
    identifiers = [_identifier("client-id", client.id)]
    if client.external_reference:
        identifiers.append(_identifier("external-reference", client.external_reference))
    names = [{"use": "official", "family": client.family_name, "given": [client.given_name]}]
    if client.preferred_name:
        names.append({"use": "usual", "given": [client.preferred_name]})
    telecom = []
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone, "use": "mobile"})
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    resource = {
        "resourceType": "Patient",
        "id": _id(client, "Patient", client.id),
        "identifier": identifiers,
        "active": client.status != "discharged",
        "name": names,
        "managingOrganization": fhir.reference(organisation),
        "communication": [
            {
                "language": {
                    "coding": [{"system": LANGUAGE, "code": client.locale}],
                    "text": client.locale,
                },
                "preferred": True,
            }
        ],
    }
    if telecom:
        resource["telecom"] = telecom
    return resource


# -- consent ------------------------------------------------------------------------------


def _latest_per_channel(records: list[ConsentRecord]) -> list[ConsentRecord]:
    """The decision in force on each channel: its latest record (records come in the order
    they were made), channels in a fixed order."""
    latest = {record.channel: record for record in records}
    return [latest[channel] for channel in sorted(latest)]


def _consent(
    client: Client,
    record: ConsentRecord,
    patient: dict,
    organisation: dict,
    practitioners: dict,
) -> dict:
    by_staff = record.recorded_by is not None and record.recorded_by in practitioners
    performer = practitioners[record.recorded_by] if by_staff else patient
    rule = ("OPTIN", "opt-in") if record.granted else ("OPTOUT", "opt-out")
    return {
        "resourceType": "Consent",
        "id": _id(client, "Consent", record.channel),
        "extension": [
            {
                "url": CONSENT_METHOD_EXTENSION,
                "valueCoding": {
                    "system": fhir.code_system("consent-method"),
                    "code": record.method,
                    "display": METHOD_WORDS.get(record.method, record.method),
                },
            }
        ],
        "identifier": [_identifier("consent-record", record.id)],
        "status": "active",
        "scope": {
            "coding": [
                {"system": CONSENT_SCOPE, "code": "patient-privacy", "display": "Privacy Consent"}
            ],
            "text": "Privacy consent",
        },  # fmt: skip
        "category": [
            fhir.platform_concept(
                "consent-category", f"{record.channel}-contact", CHANNEL_WORDS[record.channel]
            )
        ],  # fmt: skip
        "patient": fhir.reference(patient),
        "dateTime": fhir.instant(record.occurred_at),
        "performer": [fhir.reference(performer)],
        "organization": [fhir.reference(organisation)],
        "policyRule": {"coding": [{"system": ACT_CODE, "code": rule[0], "display": rule[1]}]},
        "provision": {
            "type": "permit" if record.granted else "deny",
            "period": {"start": fhir.instant(record.occurred_at)},
            "purpose": [
                {
                    "system": fhir.code_system("consent-category"),
                    "code": f"{record.channel}-contact",
                    "display": CHANNEL_WORDS[record.channel],
                }
            ],
        },
    }


# -- measures -----------------------------------------------------------------------------


def _band_of(assessment: Assessment, measure: str) -> str:
    if measure == "k10":
        return assessment.k10_band or k10_band(assessment.k10_total)
    return wemwbs_band(assessment.wemwbs_total)


def _band_range(measure: str, band: str) -> tuple[int, int]:
    _words, low, bands = MEASURES[measure]
    for upper, name in bands:
        if name == band:
            return low, upper
        low = upper + 1
    raise ValueError(f"{measure} has no band {band}")


def _questionnaire_response(
    client: Client, assessment: Assessment, measure: str, patient: dict, practitioners: dict
) -> dict:
    words = MEASURES[measure][0]
    items = getattr(assessment, f"{measure}_items") or []
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": _id(client, "QuestionnaireResponse", f"{assessment.id}/{measure}"),
        "identifier": _identifier("assessment", f"{assessment.id}/{measure}"),
        "questionnaire": f"{fhir.PLATFORM_BASE}/Questionnaire/{measure}",
        "status": "completed",
        "subject": fhir.reference(patient),
        "authored": fhir.instant(assessment.created_at),
        "source": fhir.reference(patient),
        "item": [
            {
                "linkId": f"{measure}-{number}",
                "text": f"{words}, item {number}",
                "answer": [{"valueInteger": value}],
            }
            for number, value in enumerate(items, start=1)
        ],
    }
    if assessment.assessed_by in practitioners:
        resource["author"] = fhir.reference(practitioners[assessment.assessed_by])
    return resource


def _total_score(
    client: Client,
    assessment: Assessment,
    measure: str,
    patient: dict,
    answers: dict,
    practitioners: dict,
) -> dict:
    words = MEASURES[measure][0]
    total = getattr(assessment, f"{measure}_total")
    band = _band_of(assessment, measure)
    low, high = _band_range(measure, band)
    band_words = BAND_WORDS[measure][band]
    resource = {
        "resourceType": "Observation",
        "id": _id(client, "Observation", f"{assessment.id}/{measure}"),
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": fhir.OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
                ],
                "text": "Survey",
            }
        ],  # fmt: skip
        "code": fhir.platform_concept("observation", f"{measure}-total", f"{words} total score"),
        "subject": fhir.reference(patient),
        "effectiveDateTime": fhir.instant(assessment.created_at),
        "valueInteger": total,
        "interpretation": [fhir.platform_concept(f"{measure}-band", band, band_words)],
        "note": [{"text": f"{band_words}: a total of {low} to {high}."}],
        "derivedFrom": [fhir.reference(answers)],
    }
    if assessment.assessed_by in practitioners:
        resource["performer"] = [fhir.reference(practitioners[assessment.assessed_by])]
    return resource
