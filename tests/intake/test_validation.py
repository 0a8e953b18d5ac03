"""Bad input to intake is answered 400/409/422 problem+json naming the field, and nothing
at all is written (every row of every table is compared before and after)."""

from __future__ import annotations

from tests.support.database import snapshot

K10_OK = [2] * 10
GOOD_CLIENT = {"given_name": "Jordan", "family_name": "Rivers", "timezone": "Australia/Sydney"}


def _cases(referred: str, assessed: str, discharged: str, coach_id: str):
    client = f"/v1/clients/{referred}"
    return [
        # (method, path, body, status, field)
        ("POST", "/v1/clients", GOOD_CLIENT | {"email": "not-an-email"}, 422, "email"),
        ("POST", "/v1/clients", GOOD_CLIENT | {"phone": "12"}, 422, "phone"),
        ("POST", "/v1/clients", GOOD_CLIENT | {"phone": "+1 555 0100 000 000"}, 422, "phone"),
        ("POST", "/v1/clients", GOOD_CLIENT | {"timezone": "Mars/Olympus"}, 422, "timezone"),
        ("POST", "/v1/clients", GOOD_CLIENT | {"preferred_channels": ["fax"]}, 422,
         "preferred_channels"),
        ("POST", "/v1/clients", GOOD_CLIENT | {"preferred_channels": ["sms", "sms"]}, 422,
         "preferred_channels"),
        ("POST", "/v1/clients", GOOD_CLIENT | {"consent": {"sms": True}}, 422, "phone"),
        ("PATCH", client, {"email": "nope"}, 422, "email"),
        ("PATCH", client, {"phone": "0000"}, 422, "phone"),
        ("PATCH", client, {"timezone": "Europe/Atlantis"}, 422, "timezone"),
        ("PATCH", client, {"coach_id": "8d3c3bb4-4c8a-4a43-9b7e-9b0f0c1d2e3f"}, 422, "coach_id"),
        ("PATCH", client, {"email": None}, 422, "email"),  # email consent needs an address
        ("PATCH", client, {"status": "onboarded"}, 422, "status"),  # not a writable field
        ("PUT", f"{client}/assessment", {"domain_ratings": {"housing": 0}}, 422, "domain_ratings"),
        ("PUT", f"{client}/assessment", {"domain_ratings": {"housing": 11}}, 422,
         "domain_ratings"),
        ("PUT", f"{client}/assessment", {"domain_ratings": {"astrology": 5}}, 422,
         "domain_ratings"),
        ("PUT", f"{client}/assessment",
         {"domain_ratings": {"housing": 5}, "k10": {"items": [6] + K10_OK[1:]}}, 422, "k10"),
        ("PUT", f"{client}/assessment",
         {"domain_ratings": {"housing": 5}, "k10": {"items": K10_OK[:9]}}, 422, "k10"),
        ("PUT", f"{client}/assessment",
         {"domain_ratings": {"housing": 5}, "wemwbs": {"items": [0] * 14}}, 422, "wemwbs"),
        ("POST", f"{client}/consent", {"channel": "sms", "granted": False,
                                        "method": "sms_keyword"}, 422, "method"),
        ("POST", f"{client}/consent", {"channel": "fax", "granted": True, "method": "form"},
         422, "channel"),
        ("POST", f"{client}/onboard", {"coach_id": coach_id}, 409, "status"),
        ("POST", f"/v1/clients/{discharged}/onboard", {"coach_id": coach_id}, 409, "status"),
        ("POST", f"/v1/clients/{discharged}/discharge", {"reason": "again"}, 409, "status"),
        ("PUT", f"/v1/clients/{discharged}/assessment", {"domain_ratings": {"housing": 5}}, 409,
         "status"),
        ("POST", f"/v1/clients/{assessed}/discharge", {}, 422, "reason"),
        ("POST", "/v1/staff", {"name": "X", "email": "x@example.org", "role": "boss"}, 422,
         "role"),
        ("POST", "/v1/staff", {"name": "X", "email": "x@", "role": "coach"}, 422, "email"),
        ("POST", "/v1/staff", {"name": "X", "email": "x@example.org", "role": "coach",
                               "phone": "123"}, 422, "phone"),
        ("PATCH", f"/v1/staff/{coach_id}", {"role": "owner"}, 422, "role"),
        ("GET", "/v1/clients?updated_since=yesterday", None, 422, "updated_since"),
    ]  # fmt: skip


def test_bad_input_and_malformed_json_name_the_problem_and_write_nothing(api, tenant, intake):
    token = tenant["token"]
    referred = api.refer_client(token)
    assessed = api.refer_client(token, external_reference="A-1")
    api.assess(token, assessed["id"])
    discharged = api.refer_client(token, email=None, consent={"email": False, "sms": False})
    api.call("intake", "POST", f"/v1/clients/{discharged['id']}/discharge", token,
             json={"reason": "declined service"})  # fmt: skip
    coach, _ = api.add_staff(token)
    before = snapshot(intake, "intake")

    failures = []
    for method, path, body, status, field in _cases(
        referred["id"], assessed["id"], discharged["id"], coach["id"]
    ):
        reply = api.call("intake", method, path, token, json=body)
        ok = (
            reply.status == status
            and reply.content_type.startswith("application/problem+json")
            and field in (reply.body.get("errors") or {})
        )
        if not ok:
            failures.append((method, path, body, reply.status, reply.body))
    for method, path in [
        ("POST", "/v1/clients"),
        ("PATCH", f"/v1/clients/{referred['id']}"),
        ("PUT", f"/v1/clients/{referred['id']}/assessment"),
        ("POST", f"/v1/clients/{referred['id']}/consent"),
        ("POST", f"/v1/clients/{referred['id']}/discharge"),
        ("POST", "/v1/staff"),
    ]:
        reply = api.call("intake", method, path, token, data=b'{"given_name": ')
        if reply.status != 400 or not reply.content_type.startswith("application/problem+json"):
            failures.append((method, path, "malformed JSON", reply.status, reply.body))
    assert failures == []
    assert snapshot(intake, "intake") == before
