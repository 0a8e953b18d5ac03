"""An assessment's outcome measures, scored in intake, reach plans' review report:
through the whole system (intake's API, the broker, plans' report)."""

from __future__ import annotations


def test_k10_and_wemwbs_travel_from_intakes_assessment_to_the_report(api, tenant, system):
    token = tenant["token"]
    client = api.refer_client(token, external_reference="NDIS-5150")
    assessed = api.call(
        "intake",
        "PUT",
        f"/v1/clients/{client['id']}/assessment",
        token,
        json={
            "domain_ratings": {"mental_health": 3},
            "k10": {"items": [2] * 10},
            "wemwbs": {"items": [4] * 14},
        },
    )
    assert assessed.status == 200, assessed.body
    assert api.onboard(token, client["id"], tenant["staff_id"]).status == 200
    system.settle()
    plan = api.plans_of(token, client["id"])[0]
    page = (
        system.apps["plans"]
        .test_client()
        .get(f"/v1/plans/{plan['id']}/report.html", headers={"Authorization": f"Bearer {token}"})
        .get_data(as_text=True)
    )
    assert "20 (moderate)" in page  # K10 total and band, as intake scored them
    assert "56 (moderate)" in page  # WEMWBS
    assert "NDIS-5150" in page and "Jordan Rivers" in page
    assert "Avery Admin" in page and "Harbour Recovery Services" in page
