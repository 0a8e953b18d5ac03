"""Clients in intake: referral details, changes with ETags, lists, visibility, assessment
versions, discharge, consent records and the audit trail."""

from __future__ import annotations

K10 = [2, 3, 1, 2, 2, 1, 3, 2, 2, 2]  # 20, moderate
WEMWBS = [3, 4, 3, 3, 4, 3, 3, 4, 3, 3, 3, 4, 3, 3]  # 46


def _referral(**overrides) -> dict:
    return {
        "given_name": "Jordan",
        "family_name": "Rivers",
        "preferred_name": "Jo",
        "email": "jo.rivers@example.net",
        "phone": "0412 345 678",
        "timezone": "Australia/Sydney",
        "locale": "en-AU",
        "preferred_channels": ["sms", "email"],
        "external_reference": "NDIS-430001",
        "referral_source": "GP referral",
        "consent": {"email": True, "sms": False},
    } | overrides


def test_referral_keeps_every_field_records_consent_and_answers_with_an_etag(api, tenant):
    reply = api.call("intake", "POST", "/v1/clients", tenant["token"], json=_referral())
    assert reply.status == 201, reply.body
    client = reply.body
    assert client["phone"] == "+61412345678"
    assert client["preferred_channels"] == ["sms", "email"]
    assert (client["external_reference"], client["referral_source"]) == (
        "NDIS-430001",
        "GP referral",
    )
    assert client["consent"] == {"email": True, "sms": False}
    assert client["status"] == "referred"
    assert reply.headers["ETag"] == f'"{client["id"]}.1"'

    fetched = api.call("intake", "GET", f"/v1/clients/{client['id']}", tenant["token"])
    assert fetched.headers["ETag"] == reply.headers["ETag"]
    records = api.call("intake", "GET", f"/v1/clients/{client['id']}/consent", tenant["token"])
    assert [(r["channel"], r["granted"], r["method"]) for r in records.body["records"]] == [
        ("email", True, "form")
    ]
    assert records.body["records"][0]["recorded_by"] == tenant["staff_id"]


def test_external_reference_is_unique_within_an_organisation_only(api, tenant):
    api.refer_client(tenant["token"], external_reference="NDIS-1")
    again = api.call(
        "intake",
        "POST",
        "/v1/clients",
        tenant["token"],
        json=_referral(external_reference="NDIS-1"),
    )
    assert again.status == 409 and "external_reference" in again.body["errors"]
    _, other = api.new_tenant("Another Provider")
    api.refer_client(other, external_reference="NDIS-1")

    second = api.refer_client(tenant["token"], external_reference="NDIS-2")
    clash = api.call(
        "intake",
        "PATCH",
        f"/v1/clients/{second['id']}",
        tenant["token"],
        json={"external_reference": "NDIS-1"},
    )
    assert clash.status == 409 and "external_reference" in clash.body["errors"]


def test_patch_with_the_current_etag_emits_client_updated_naming_the_changed_fields(
    api, tenant, intake
):
    token = tenant["token"]
    client = api.refer_client(token)
    path = f"/v1/clients/{client['id']}"
    etag = api.call("intake", "GET", path, token).headers["ETag"]

    changed = api.call(
        "intake",
        "PATCH",
        path,
        token,
        json={"phone": "0400 111 222", "timezone": "Australia/Perth", "locale": "en"},
        headers={"If-Match": etag},
    )
    assert changed.status == 200, changed.body
    assert changed.body["phone"] == "+61400111222"
    assert changed.headers["ETag"] != etag

    stale = api.call(
        "intake", "PATCH", path, token, json={"locale": "fr"}, headers={"If-Match": etag}
    )
    assert stale.status == 412
    assert stale.content_type.startswith("application/problem+json")
    assert api.call("intake", "GET", path, token).body["locale"] == "en"

    # A write that loses the race after its If-Match check is refused too.
    _patch_racing_another_writer(api, intake, tenant, client["id"])

    # Changing nothing emits nothing.
    same = api.call("intake", "PATCH", path, token, json={"locale": "en"})
    assert same.status == 200

    updates = intake.published("client.updated")
    assert [u["data"]["changed"] for u in updates] == [["phone", "timezone"], ["referral_source"]]
    assert updates[0]["data"]["contact"]["timezone"] == "Australia/Perth"

    trail = api.call("intake", "GET", f"{path}/audit", token)
    assert trail.status == 200
    entries = [(e["action"], e["fields"]) for e in trail.body["items"]]
    assert ("updated", ["phone", "timezone"]) in entries
    assert entries[0][0] in {"referred", "consent_granted"}
    assert all(e["actor_id"] == tenant["staff_id"] for e in trail.body["items"])
    # Names of fields, never values.
    assert "+61400111222" not in str(trail.body) and "Jordan" not in str(trail.body)


def _patch_racing_another_writer(api, intake, tenant, client_id):
    import uuid

    import pytest

    from services.intake import clients, scoping
    from shared.auth import Principal
    from shared.errors import PreconditionFailed

    principal = Principal(
        uuid.UUID(tenant["staff_id"]),
        uuid.UUID(tenant["organisation"]["organisation"]["id"]),
        "org_admin",
    )
    with intake.runtime.unit_of_work() as uow:
        mine = scoping.client_for(uow.session, principal, uuid.UUID(client_id))
        path = f"/v1/clients/{client_id}"
        theirs = api.call(
            "intake", "PATCH", path, tenant["token"], json={"referral_source": "Self"}
        )
        assert theirs.status == 200
        with pytest.raises(PreconditionFailed):
            clients.update_client(uow, principal, mine, {"locale": "de"})


def test_client_list_filters_by_status_coach_and_update_time_and_pages(api, tenant):
    token = tenant["token"]
    coach, _ = api.add_staff(token)
    referred = [api.refer_client(token)["id"] for _ in range(3)]
    onboarded = api.onboarded_client(token, coach["id"])

    page = api.call("intake", "GET", "/v1/clients?status=referred&limit=2", token)
    assert page.status == 200 and len(page.body["items"]) == 2
    rest = api.call(
        "intake", "GET", f"/v1/clients?status=referred&cursor={page.body['next_cursor']}", token
    )
    assert [c["id"] for c in page.body["items"] + rest.body["items"]] == referred
    assert rest.body["next_cursor"] is None

    by_coach = api.call("intake", "GET", f"/v1/clients?coach_id={coach['id']}", token)
    assert [c["id"] for c in by_coach.body["items"]] == [onboarded["id"]]

    since = onboarded["updated_at"]
    recent = api.call("intake", "GET", "/v1/clients", token, headers={}, json=None)
    assert len(recent.body["items"]) == 4
    recent = api.call(
        "intake", "GET", f"/v1/clients?updated_since={since.replace('+', '%2B')}", token
    )
    assert [c["id"] for c in recent.body["items"]] == [onboarded["id"]]

    bad = api.call("intake", "GET", "/v1/clients?status=asleep", token)
    assert bad.status == 422 and "status" in bad.body["errors"]
    nonsense = api.call("intake", "GET", "/v1/clients?cursor=nonsense", token)
    assert nonsense.status == 400 and set(nonsense.body["errors"]) == {"cursor"}


def test_a_coach_sees_the_clients_assigned_to_or_referred_by_them_and_no_others(api, tenant):
    admin = tenant["token"]
    ash, ash_token = api.add_staff(admin, name="Ash")
    _, blake_token = api.add_staff(admin, name="Blake")

    assigned = api.onboarded_client(admin, ash["id"])
    referred_by_ash = api.refer_client(ash_token)
    referred_by_blake = api.refer_client(blake_token)
    unassigned = api.refer_client(admin)

    seen = {c["id"] for c in api.call("intake", "GET", "/v1/clients", ash_token).body["items"]}
    assert seen == {assigned["id"], referred_by_ash["id"]}
    for hidden in (referred_by_blake, unassigned):
        assert api.call("intake", "GET", f"/v1/clients/{hidden['id']}", ash_token).status == 404
    everyone = api.call("intake", "GET", "/v1/clients", admin).body["items"]
    assert len(everyone) == 4


def test_reassessment_keeps_versions_scores_measures_and_onboarding_carries_the_latest(
    api, tenant, intake
):
    token = tenant["token"]
    client = api.refer_client(token)
    path = f"/v1/clients/{client['id']}"
    first = api.call(
        "intake",
        "PUT",
        f"{path}/assessment",
        token,
        json={
            "domain_ratings": {"mental_health": 3},
            "support_network": "Sister nearby",
            "risk_notes": "None disclosed",
            "k10": {"items": K10},
            "wemwbs": {"items": WEMWBS},
        },
    )
    assert first.status == 200, first.body
    assert first.body["k10"] == {"items": K10, "total": 20, "band": "moderate"}
    assert first.body["wemwbs"] == {"items": WEMWBS, "total": 46}
    assert first.body["support_network"] == "Sister nearby"

    second = api.call(
        "intake",
        "PUT",
        f"{path}/assessment",
        token,
        json={
            "domain_ratings": {"mental_health": 5, "housing": 6},
            "aspirations": [{"domain": "housing", "text": "Find a stable flat"}],
        },
    )
    assert second.body["version"] == 2 and second.body["k10"] is None

    history = api.call("intake", "GET", f"{path}/assessments", token).body["items"]
    assert [a["version"] for a in history] == [2, 1]
    assert history[1]["k10"]["total"] == 20

    assert api.onboard(token, client["id"], tenant["staff_id"]).status == 200
    onboarded = intake.published("client.onboarded")[0]["data"]
    assert onboarded["assessment"]["version"] == 2
    assert onboarded["assessment"]["domain_ratings"] == {"mental_health": 5, "housing": 6}
    assert "risk_notes" not in str(onboarded)


def test_discharge_emits_client_discharged_and_a_discharged_client_is_final(api, tenant, intake):
    token = tenant["token"]
    client = api.onboarded_client(token, tenant["staff_id"])
    path = f"/v1/clients/{client['id']}"

    discharged = api.call(
        "intake", "POST", f"{path}/discharge", token, json={"reason": "Goals achieved"}
    )
    assert discharged.status == 200, discharged.body
    assert discharged.body["status"] == "discharged"
    assert discharged.body["discharge_reason"] == "Goals achieved"

    event = intake.published("client.discharged")[0]["data"]
    assert (event["client_id"], event["reason"]) == (client["id"], "Goals achieved")

    again = api.call("intake", "POST", f"{path}/discharge", token, json={"reason": "again"})
    assert again.status == 409 and "status" in again.body["errors"]
    assert api.onboard(token, client["id"], tenant["staff_id"]).status == 409
    reassess = api.call(
        "intake", "PUT", f"{path}/assessment", token, json={"domain_ratings": {"housing": 5}}
    )
    assert reassess.status == 409
    assert api.call("intake", "PATCH", path, token, json={"locale": "fr"}).status == 409


def test_staff_record_consent_as_records_and_each_change_emits_client_updated(api, tenant, intake):
    token = tenant["token"]
    client = api.refer_client(token, consent={"email": False, "sms": False})
    path = f"/v1/clients/{client['id']}/consent"

    granted = api.call(
        "intake", "POST", path, token, json={"channel": "sms", "granted": True, "method": "verbal"}
    )
    assert granted.status == 200, granted.body
    assert granted.body["current"] == {"email": False, "sms": True}
    withdrawn = api.call(
        "intake", "POST", path, token, json={"channel": "sms", "granted": False, "method": "form"}
    )
    assert withdrawn.body["current"] == {"email": False, "sms": False}
    assert [(r["granted"], r["method"]) for r in withdrawn.body["records"]] == [
        (True, "verbal"),
        (False, "form"),
    ]
    updates = intake.published("client.updated")
    assert [u["data"]["contact"]["consent"]["sms"] for u in updates] == [True, False]
    assert {tuple(u["data"]["changed"]) for u in updates} == {("consent",)}

    nameless = api.refer_client(token, email=None, consent={"email": False, "sms": False})
    refused = api.call(
        "intake",
        "POST",
        f"/v1/clients/{nameless['id']}/consent",
        token,
        json={"channel": "email", "granted": True, "method": "form"},
    )
    assert refused.status == 422 and "email" in refused.body["errors"]


def test_a_refused_phone_says_the_region_assumed_and_the_forms_expected(api, tenant):
    token = tenant["token"]
    refused = api.call("intake", "POST", "/v1/clients", token, json=_referral(phone="07911 123456"))
    assert refused.status == 422
    [message] = refused.body["errors"]["phone"]
    assert "read as a number in AU" in message
    assert "0412 345 678" in message and "+61412345678" in message
    # The same mobile written internationally is accepted.
    accepted = api.call(
        "intake", "POST", "/v1/clients", token, json=_referral(phone="+44 7911 123456")
    )
    assert accepted.status == 201 and accepted.body["phone"] == "+447911123456"
