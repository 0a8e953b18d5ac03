"""The client's intake record as FHIR R4 (``GET /v1/clients/{id}/fhir``): the Patient, a
Consent per channel with who decided, when and how, K10 and WEMWBS as
QuestionnaireResponses with their total and band; every validator accepts it, each
resource type matches its golden file; scoped like every endpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shared import fhir
from tests.support.fhir import (
    assert_matches_golden,
    assert_valid_bundle,
    invariant_failures,
    resources_of,
    schema_errors,
)

K10 = [2, 3, 1, 2, 2, 1, 3, 2, 2, 2]  # 20, moderate
K10_LATER = [1, 2, 1, 1, 2, 1, 2, 1, 1, 2]  # 14, low
WEMWBS = [3, 4, 3, 3, 4, 3, 3, 4, 3, 3, 3, 4, 3, 3]  # 46, moderate
OPTED_OUT_AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _record(api, tenant, intake):
    """A client referred by the admin (consent to email and SMS on the form), assessed
    with K10 and WEMWBS, onboarded to a coach who re-assesses the K10, who then texts
    STOP: the admin's and coach's tokens, the client, the coach."""
    admin = tenant["token"]
    coach, coach_token = api.add_staff(admin, name="Avery Coach")
    client = api.refer_client(
        admin, external_reference="NDIS-430001", timezone="Australia/Sydney", locale="en-AU"
    )
    path = f"/v1/clients/{client['id']}"
    first = {"domain_ratings": {"mental_health": 3}, "k10": {"items": K10},
             "wemwbs": {"items": WEMWBS}}  # fmt: skip
    assert api.call("intake", "PUT", f"{path}/assessment", admin, json=first).status == 200
    assert api.onboard(admin, client["id"], coach["id"]).status == 200
    later = {"domain_ratings": {"mental_health": 5}, "k10": {"items": K10_LATER}}
    assert api.call("intake", "PUT", f"{path}/assessment", coach_token, json=later).status == 200
    tenant_id = tenant["organisation"]["organisation"]["id"]
    stop = {"client_id": client["id"], "channel": "sms", "method": "sms_keyword",
            "occurred_at": OPTED_OUT_AT}  # fmt: skip
    intake.event("contact.opted_out", tenant_id, stop)
    return admin, coach_token, client, coach


def _export(api, client_id, token) -> dict:
    reply = api.call("intake", "GET", f"/v1/clients/{client_id}/fhir", token)
    assert reply.status == 200, reply.body
    assert reply.content_type == "application/fhir+json"
    assert reply.headers["Cache-Control"] == "no-store"
    return reply.body


def test_the_intake_record_passes_every_validator_and_matches_its_golden_files(api, tenant, intake):
    _admin, coach_token, client, _coach = _record(api, tenant, intake)
    bundle = _export(api, client["id"], coach_token)

    assert_valid_bundle(bundle)
    assert bundle["type"] == "collection"
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {
        "Patient", "Organization", "Practitioner", "Consent", "QuestionnaireResponse",
        "Observation",
    }  # fmt: skip
    assert "loinc" not in str(bundle).lower()  # no code asserted that we have not confirmed
    assert_matches_golden(bundle, "intake", instants=True)


def test_the_patient_has_the_same_full_url_in_both_exports(api, tenant, intake):
    _admin, coach_token, client, _coach = _record(api, tenant, intake)
    first = _export(api, client["id"], coach_token)
    [patient] = resources_of(first, "Patient")
    tenant_id = uuid.UUID(tenant["organisation"]["organisation"]["id"])
    # plans derives its Patient's id the same way (tests/plans/test_fhir_export.py)
    assert patient["id"] == fhir.resource_id(tenant_id, "Patient", client["id"])
    again = _export(api, client["id"], coach_token)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in again["entry"]]
    assert patient["name"][0] == {"use": "official", "family": "Rivers", "given": ["Jordan"]}
    assert {"system": "email", "value": "jo.rivers@example.net"} in patient["telecom"]
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "en-AU"


def test_one_consent_per_channel_says_who_decided_when_and_how(api, tenant, intake):
    _admin, coach_token, client, _coach = _record(api, tenant, intake)
    bundle = _export(api, client["id"], coach_token)
    consents = {c["category"][0]["coding"][0]["code"]: c for c in resources_of(bundle, "Consent")}
    assert set(consents) == {"email-contact", "sms-contact"}
    patient = fhir.reference(resources_of(bundle, "Patient")[0])
    by_id = {f"urn:uuid:{p['id']}": p for p in resources_of(bundle, "Practitioner")}
    email, sms = consents["email-contact"], consents["sms-contact"]
    for consent in (email, sms):
        assert consent["status"] == "active" and consent["patient"] == patient
        assert consent["scope"]["coding"][0]["code"] == "patient-privacy"
    # on the referral form, recorded by the admin
    assert email["policyRule"]["coding"][0]["code"] == "OPTIN"
    assert email["provision"]["type"] == "permit"
    assert by_id[email["performer"][0]["reference"]]["identifier"][0]["value"] == tenant["staff_id"]
    assert email["extension"][0]["valueCoding"]["code"] == "form"
    # the client's own STOP, when they sent it
    assert sms["policyRule"]["coding"][0]["code"] == "OPTOUT"
    assert sms["provision"]["type"] == "deny"
    assert sms["performer"] == [patient]
    assert sms["dateTime"] == "2026-11-23T09:30:00Z"
    assert sms["extension"][0]["valueCoding"]["code"] == "sms_keyword"
    # ppc-1 holds; without the policy rule it would not
    del sms["policyRule"]
    assert any("ppc-1" in failure for failure in invariant_failures(bundle))


def test_each_measure_is_its_answers_and_a_total_with_its_band(api, tenant, intake):
    _admin, coach_token, client, coach = _record(api, tenant, intake)
    bundle = _export(api, client["id"], coach_token)
    answers = resources_of(bundle, "QuestionnaireResponse")
    assert [a["questionnaire"].rsplit("/", 1)[1] for a in answers] == ["k10", "wemwbs", "k10"]
    assert [i["answer"][0]["valueInteger"] for i in answers[0]["item"]] == K10
    totals = resources_of(bundle, "Observation")
    assert [
        (
            o["code"]["coding"][0]["code"],
            o["valueInteger"],
            o["interpretation"][0]["coding"][0]["code"],
        )
        for o in totals
    ] == [("k10-total", 20, "moderate"), ("wemwbs-total", 46, "moderate"), ("k10-total", 14, "low")]
    for total, source in zip(totals, answers, strict=True):
        assert total["derivedFrom"] == [fhir.reference(source)]
        assert total["category"][0]["coding"][0]["code"] == "survey"
        assert total["code"]["text"].endswith("total score")
    assert totals[0]["note"] == [{"text": "Moderate distress: a total of 16 to 21."}]
    assert totals[0]["interpretation"][0]["coding"][0]["system"] == fhir.code_system("k10-band")
    # the re-assessment is the coach's
    by_id = {f"urn:uuid:{p['id']}": p for p in resources_of(bundle, "Practitioner")}
    assert by_id[totals[2]["performer"][0]["reference"]]["identifier"][0]["value"] == coach["id"]


def test_a_client_without_assessment_or_consent_still_validates(api, tenant):
    client = api.refer_client(tenant["token"], consent={"email": False, "sms": False})
    bundle = _export(api, client["id"], tenant["token"])
    assert schema_errors(bundle) == [] and invariant_failures(bundle) == []
    assert_valid_bundle(bundle)
    assert resources_of(bundle, "Consent") == []


def test_another_coach_another_organisation_and_an_erased_client_get_404(api, tenant, intake):
    admin, coach_token, client, _coach = _record(api, tenant, intake)
    path = f"/v1/clients/{client['id']}/fhir"
    _colleague, colleague_token = api.add_staff(admin, name="Blake Coach")
    assert api.call("intake", "GET", path, colleague_token).status == 404
    _other, other_admin = api.new_tenant("Elsewhere")
    assert api.call("intake", "GET", path, other_admin).status == 404
    assert api.call("intake", "GET", path).status == 401
    assert api.call("intake", "GET", f"/v1/clients/{uuid.uuid4()}/fhir", admin).status == 404

    assert api.call("intake", "DELETE", f"/v1/clients/{client['id']}", admin).status == 204
    for token in (admin, coach_token):
        gone = api.call("intake", "GET", path, token)
        assert gone.status == 404 and gone.content_type == "application/problem+json"
