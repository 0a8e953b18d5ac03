"""Both FHIR exports of one client, through the whole system (intake's API, the broker,
plans): each valid, and the client one Patient, under one full URL, in both."""

from __future__ import annotations

from tests.support.fhir import assert_valid_bundle, resources_of


def test_intake_and_plans_export_the_same_patient_under_the_same_full_url(api, tenant, system):
    token = tenant["token"]
    client = api.refer_client(token, external_reference="NDIS-5150")
    assessed = api.call(
        "intake",
        "PUT",
        f"/v1/clients/{client['id']}/assessment",
        token,
        json={"domain_ratings": {"mental_health": 3}, "k10": {"items": [2] * 10}},
    )
    assert assessed.status == 200, assessed.body
    assert api.onboard(token, client["id"], tenant["staff_id"]).status == 200
    system.settle()
    plan = api.plans_of(token, client["id"])[0]

    record = api.call("intake", "GET", f"/v1/clients/{client['id']}/fhir", token)
    care = api.call("plans", "GET", f"/v1/plans/{plan['id']}/fhir", token)
    assert (record.status, care.status) == (200, 200)
    for bundle in (record.body, care.body):
        assert_valid_bundle(bundle)
    [in_intake], [in_plans] = (resources_of(b, "Patient") for b in (record.body, care.body))
    assert in_intake["id"] == in_plans["id"]
    assert in_intake["identifier"][:2] == in_plans["identifier"][:2]  # client id, reference
    assert in_intake["name"][0] == in_plans["name"][0]  # as intake's events told plans
    # the coach and the organisation too
    for resource_type in ("Practitioner", "Organization"):
        ids = [{r["id"] for r in resources_of(b, resource_type)} for b in (record.body, care.body)]
        assert ids[1] <= ids[0], resource_type
