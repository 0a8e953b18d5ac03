"""Tenant isolation over every intake endpoint: another organisation gets 404 for every
id, a coach gets 403 where only admins act, and a coach never sees another coach's client."""

from __future__ import annotations

from tests.support.database import snapshot

CONSENT = {"channel": "email", "granted": False, "method": "form"}
ASSESSMENT = {"domain_ratings": {"housing": 5}}


def _client_endpoints(cid: str, coach_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/v1/clients/{cid}", None),
        ("PATCH", f"/v1/clients/{cid}", {"locale": "fr"}),
        ("GET", f"/v1/clients/{cid}/consent", None),
        ("POST", f"/v1/clients/{cid}/consent", CONSENT),
        ("PUT", f"/v1/clients/{cid}/assessment", ASSESSMENT),
        ("GET", f"/v1/clients/{cid}/assessments", None),
        ("POST", f"/v1/clients/{cid}/onboard", {"coach_id": coach_id}),
    ]


def _admin_client_endpoints(cid: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/v1/clients/{cid}/audit", None),
        ("POST", f"/v1/clients/{cid}/discharge", {"reason": "moved away"}),
        ("DELETE", f"/v1/clients/{cid}", None),
    ]


def _staff_endpoints(sid: str, kid: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/v1/staff/{sid}", None),
        ("PATCH", f"/v1/staff/{sid}", {"name": "Renamed"}),
        ("GET", f"/v1/staff/{sid}/keys", None),
        ("POST", f"/v1/staff/{sid}/keys", None),
        ("POST", f"/v1/staff/{sid}/keys/{kid}/rotate", None),
        ("DELETE", f"/v1/staff/{sid}/keys/{kid}", None),
    ]


def _setup(api, tenant):
    admin = tenant["token"]
    coach, coach_token = api.add_staff(admin, name="Ash")
    client = api.refer_client(admin, external_reference="REF-1")
    api.assess(admin, client["id"])
    keys = api.call("intake", "GET", f"/v1/staff/{coach['id']}/keys", admin).body["items"]
    return coach, coach_token, client, keys[0]["id"]


def test_another_organisation_gets_404_for_every_id_and_changes_nothing(api, tenant, intake):
    coach, _, client, key_id = _setup(api, tenant)
    other_org, other_admin = api.new_tenant("Another Provider")
    before = snapshot(intake, "intake")

    endpoints = (
        _client_endpoints(client["id"], other_org["admin"]["id"])
        + _admin_client_endpoints(client["id"])
        + _staff_endpoints(coach["id"], key_id)
        # Their own staff member with our key id.
        + [("DELETE", f"/v1/staff/{other_org['admin']['id']}/keys/{key_id}", None)]
    )
    for method, path, body in endpoints:
        reply = api.call("intake", method, path, other_admin, json=body)
        assert reply.status == 404, (method, path, reply.status, reply.body)
        assert reply.content_type.startswith("application/problem+json")

    theirs = api.call("intake", "GET", "/v1/clients", other_admin).body["items"]
    assert theirs == []
    staff = api.call("intake", "GET", "/v1/staff", other_admin).body["items"]
    assert [s["id"] for s in staff] == [other_org["admin"]["id"]]
    # Their references are theirs: ours does not clash with it.
    api.refer_client(other_admin, external_reference="REF-1")

    after = snapshot(intake, "intake")
    for table in ("clients", "staff", "api_keys", "assessments", "consent_records"):
        mine = [
            row
            for row in after[table]
            if str(tenant["organisation"]["organisation"]["id"]) in repr(row)
        ]
        was = [
            row
            for row in before[table]
            if str(tenant["organisation"]["organisation"]["id"]) in repr(row)
        ]
        assert mine == was, table


def test_a_coach_gets_403_where_only_org_admins_may_act(api, tenant):
    coach, coach_token, _, key_id = _setup(api, tenant)
    own = api.refer_client(coach_token)

    forbidden = (
        [
            ("GET", "/v1/staff", None),
            ("POST", "/v1/staff", {"name": "X", "email": "x@example.org", "role": "coach"}),
        ]
        + _admin_client_endpoints(own["id"])
        + _staff_endpoints(coach["id"], key_id)  # even their own record and keys
        + _staff_endpoints(tenant["staff_id"], key_id)
    )
    for method, path, body in forbidden:
        reply = api.call("intake", method, path, coach_token, json=body)
        assert reply.status == 403, (method, path, reply.status, reply.body)
    assert api.call("intake", "GET", f"/v1/clients/{own['id']}", coach_token).status == 200


def test_a_coach_does_not_see_another_coachs_client_through_any_endpoint(api, tenant):
    admin = tenant["token"]
    ash, ash_token = api.add_staff(admin, name="Ash")
    blake, blake_token = api.add_staff(admin, name="Blake")
    blakes = api.onboarded_client(admin, blake["id"])
    referred_by_blake = api.refer_client(blake_token)

    for client in (blakes, referred_by_blake):
        for method, path, body in _client_endpoints(client["id"], ash["id"]):
            reply = api.call("intake", method, path, ash_token, json=body)
            assert reply.status == 404, (method, path, reply.status, reply.body)
    assert api.call("intake", "GET", "/v1/clients", ash_token).body["items"] == []
    seen = api.call("intake", "GET", "/v1/clients", blake_token).body["items"]
    assert {c["id"] for c in seen} == {blakes["id"], referred_by_blake["id"]}
