"""FHIR R4 building blocks both exports use (plans' care record, intake's client record):
stable ``urn:uuid:`` full URLs, references, codings of the platform's own code systems,
and a ``collection`` Bundle. Plain dicts in, plain dicts out; no service named here.

A resource's id is a UUID derived (RFC 4122 version 5) from the organisation, the resource
type and our own id, so the same record exported twice, or by both services (the client's
``Patient``), has the same full URL. Where no standard code is confirmed, a coding is from
the platform's code systems under :data:`PLATFORM_BASE` (listed in docs/fhir.md) and
carries its ``text``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

MEDIA_TYPE = "application/fhir+json"
FHIR_VERSION = "4.0.1"
# The canonical base of the platform's own FHIR artefacts (code systems, extensions,
# identifier systems, questionnaires); stable, documented in docs/fhir.md.
PLATFORM_BASE = "https://fhir.recovery-coaching.example/r4"
_NAMESPACE = uuid.UUID("9d0f1b64-3f0e-5a52-9a7e-2b1f6c1d7a40")

# Standard terminologies (HL7 terminology and core code systems) the exports use.
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
RESTRICTED = {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}
UCUM = "http://unitsofmeasure.org"


def code_system(name: str) -> str:
    """The canonical URL of one of the platform's code systems (``life-domain``...)."""
    return f"{PLATFORM_BASE}/CodeSystem/{name}"


def identifier_system(name: str) -> str:
    """The system URL of one of the platform's identifiers (``client-id``...)."""
    return f"{PLATFORM_BASE}/identifier/{name}"


def platform_concept(system: str, code: str, text: str) -> dict:
    """A CodeableConcept coded in a platform code system, with its words as ``text``."""
    return {
        "coding": [{"system": code_system(system), "code": code, "display": text}],
        "text": text,
    }


def resource_id(tenant_id: uuid.UUID, resource_type: str, key: object) -> str:
    """The stable id of the resource of ``resource_type`` made from our ``key``."""
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}/{resource_type}/{key}"))


def full_url(resource: dict) -> str:
    return f"urn:uuid:{resource['id']}"


def reference(resource: dict) -> dict:
    """A reference to a resource of the same Bundle, by its full URL."""
    return {"reference": full_url(resource), "type": resource["resourceType"]}


def instant(moment: datetime) -> str:
    """An aware datetime as a FHIR ``instant`` / ``dateTime`` (UTC, seconds)."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def day(value: date) -> str:
    return value.isoformat()


def collection(
    tenant_id: uuid.UUID, key: object, timestamp: datetime, resources: Iterable[dict]
) -> dict:
    """A Bundle of type ``collection`` of ``resources``, each under its ``urn:uuid:``."""
    return {
        "resourceType": "Bundle",
        "id": resource_id(tenant_id, "Bundle", key),
        "meta": {"lastUpdated": instant(timestamp)},
        "type": "collection",
        "timestamp": instant(timestamp),
        "entry": [{"fullUrl": full_url(r), "resource": r} for r in resources],
    }
