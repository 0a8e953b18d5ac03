"""Idempotency-Key: a retried POST replays the first answer and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select


def _clients(system) -> int:
    from services.intake.models import Client

    with system.runtimes["intake"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(Client))


BODY = {"given_name": "Kai", "family_name": "Moana", "timezone": "Pacific/Auckland"}


def test_same_key_and_body_replays_the_first_response(api, tenant, system):
    headers = {"Idempotency-Key": "referral-42"}
    first = api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    second = api.call(
        "intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=dict(headers)
    )
    assert first.status == second.status == 201
    assert second.body == first.body
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert _clients(system) == 1


def test_same_key_with_another_body_is_refused(api, tenant, system):
    headers = {"Idempotency-Key": "referral-43"}
    api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    other = api.call(
        "intake",
        "POST",
        "/v1/clients",
        tenant["token"],
        json=BODY | {"given_name": "Someone else"},
        headers=dict(headers),
    )
    assert other.status == 422
    assert "Idempotency-Key" in other.body["errors"]
    assert _clients(system) == 1


def test_keys_are_scoped_to_the_organisation(api, tenant, system):
    _, other_token = api.new_tenant("Another Provider")
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    theirs = api.call(
        "intake", "POST", "/v1/clients", other_token, json=BODY, headers=dict(headers)
    )
    assert mine.status == theirs.status == 201
    assert mine.body["id"] != theirs.body["id"]
    assert _clients(system) == 2


def test_a_refusal_is_replayed_too(api, tenant):
    client = api.refer_client(tenant["token"])
    headers = {"Idempotency-Key": "onboard-1"}
    path = f"/v1/clients/{client['id']}/onboard"
    body = {"coach_id": tenant["staff_id"]}
    first = api.call("intake", "POST", path, tenant["token"], json=body, headers=headers)
    api.assess(tenant["token"], client["id"])
    again = api.call("intake", "POST", path, tenant["token"], json=body, headers=dict(headers))
    assert first.status == again.status == 409
    assert again.body == first.body


def test_keys_are_scoped_to_the_caller_not_shared_with_colleagues(api, tenant, system):
    _, coach_token = api.add_staff(tenant["token"])
    headers = {"Idempotency-Key": "referral-1"}
    mine = api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    theirs = api.call(
        "intake", "POST", "/v1/clients", coach_token, json=BODY, headers=dict(headers)
    )
    assert mine.status == theirs.status == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.body["id"] != theirs.body["id"]
    assert _clients(system) == 2


def test_a_coach_replaying_an_admins_key_gets_no_answer_about_a_client_they_cannot_see(api, tenant):
    client = api.refer_client(tenant["token"])  # the admin's referral, no coach assigned
    _, coach_token = api.add_staff(tenant["token"])
    path = f"/v1/clients/{client['id']}/consent"
    body = {"channel": "sms", "granted": False, "method": "verbal"}
    headers = {"Idempotency-Key": "consent-1"}
    admins = api.call("intake", "POST", path, tenant["token"], json=body, headers=headers)
    assert admins.status == 200
    replay = api.call("intake", "POST", path, coach_token, json=body, headers=dict(headers))
    assert replay.status == 404
    assert "Idempotent-Replayed" not in replay.headers
    assert "records" not in (replay.body or {})
