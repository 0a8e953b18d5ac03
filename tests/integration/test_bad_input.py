"""Bad input gets a clear problem+json answer, never a 500, and nothing half-written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from shared.auth import Principal, issue_token
from tests.conftest import JWT_SECRET


def _is_problem(reply, status):
    assert reply.status == status, reply.body
    assert reply.content_type.startswith("application/problem+json")
    assert reply.body["status"] == status
    assert reply.body["title"]
    return reply.body


def _rows(system, model) -> int:
    with system.runtimes["intake"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_malformed_json_is_a_400_problem(api, tenant, system):
    from services.intake.models import Client

    reply = api.call("intake", "POST", "/v1/clients", tenant["token"], data=b'{"given_name": ')
    problem = _is_problem(reply, 400)
    assert "JSON" in problem["detail"]
    assert _rows(system, Client) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"given_name", "family_name", "timezone"}),
        ({"given_name": 7, "family_name": "R", "timezone": "Australia/Sydney"}, {"given_name"}),
        ({"given_name": "J", "family_name": "R", "timezone": "Mars/Olympus"}, {"timezone"}),
        ({"given_name": "J", "family_name": "R", "timezone": "UTC", "email": "nope"}, {"email"}),
        (
            {"given_name": "J", "family_name": "R", "timezone": "UTC", "phone": "12"},
            {"phone"},
        ),
        (
            {"given_name": "J", "family_name": "R", "timezone": "UTC", "consent": {"email": True}},
            {"email"},
        ),
    ],
)
def test_invalid_client_fields_are_named_and_nothing_is_written(api, tenant, system, body, fields):
    from services.intake.models import Client, Outbox

    outbox_before = _rows(system, Outbox)
    problem = _is_problem(
        api.call("intake", "POST", "/v1/clients", tenant["token"], json=body), 422
    )
    assert set(problem["errors"]) == fields
    assert _rows(system, Client) == 0
    assert _rows(system, Outbox) == outbox_before


@pytest.mark.parametrize(
    ("ratings", "field"),
    [
        ({"housing": 0}, "domain_ratings"),
        ({"housing": 11}, "domain_ratings"),
        ({"astrology": 5}, "domain_ratings"),
        ({"housing": "high"}, "domain_ratings"),
    ],
)
def test_invalid_assessment_is_refused_and_the_client_stays_referred(
    api, tenant, system, ratings, field
):
    from services.intake.models import Assessment

    client = api.refer_client(tenant["token"])
    reply = api.call(
        "intake",
        "PUT",
        f"/v1/clients/{client['id']}/assessment",
        tenant["token"],
        json={"domain_ratings": ratings},
    )
    assert field in _is_problem(reply, 422)["errors"]
    assert _rows(system, Assessment) == 0
    again = api.call("intake", "GET", f"/v1/clients/{client['id']}", tenant["token"])
    assert again.body["status"] == "referred"


def test_onboarding_before_assessment_is_a_conflict(api, tenant):
    client = api.refer_client(tenant["token"])
    problem = _is_problem(api.onboard(tenant["token"], client["id"], tenant["staff_id"]), 409)
    assert "assessment" in problem["detail"]


def test_onboarding_twice_is_a_conflict(api, tenant):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    _is_problem(api.onboard(tenant["token"], client["id"], tenant["staff_id"]), 409)


def test_onboarding_with_an_unknown_coach_names_the_field(api, tenant):
    client = api.refer_client(tenant["token"])
    api.assess(tenant["token"], client["id"])
    problem = _is_problem(api.onboard(tenant["token"], client["id"], str(uuid.uuid4())), 422)
    assert "coach_id" in problem["errors"]


def test_unknown_client_is_a_404(api, tenant):
    _is_problem(api.call("intake", "GET", f"/v1/clients/{uuid.uuid4()}", tenant["token"]), 404)


def test_another_organisations_client_is_a_404_everywhere(api, tenant, system):
    client = api.onboarded_client(tenant["token"], tenant["staff_id"])
    system.settle()
    other_org, other_token = api.new_tenant("Another Provider")
    cid = client["id"]
    _is_problem(api.call("intake", "GET", f"/v1/clients/{cid}", other_token), 404)
    _is_problem(
        api.call(
            "intake",
            "PUT",
            f"/v1/clients/{cid}/assessment",
            other_token,
            json={"domain_ratings": {"housing": 5}},
        ),
        404,
    )
    _is_problem(api.onboard(other_token, cid, other_org["admin"]["id"]), 404)
    _is_problem(
        api.call("notifications", "GET", f"/v1/clients/{cid}/notifications", other_token), 404
    )


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer " + "x.y.z"],
)
def test_missing_or_invalid_token_is_a_401_on_every_service(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    for service, path in [
        ("intake", f"/v1/clients/{uuid.uuid4()}"),
        ("plans", f"/v1/plans/{uuid.uuid4()}"),
        ("notifications", f"/v1/clients/{uuid.uuid4()}/notifications"),
    ]:
        _is_problem(api.call(service, "GET", path, headers=headers), 401)


def test_expired_or_foreign_signed_token_is_a_401(api, tenant):
    principal = Principal(
        uuid.UUID(tenant["staff_id"]),
        uuid.UUID(tenant["organisation"]["organisation"]["id"]),
        "org_admin",
    )
    now = datetime.now(UTC)
    expired = issue_token(JWT_SECRET, principal, ttl_seconds=-5, issued_at=now)
    assert (
        "expired"
        in _is_problem(api.call("intake", "GET", f"/v1/clients/{uuid.uuid4()}", expired), 401)[
            "detail"
        ]
    )
    forged = issue_token(
        "some-other-secret-0123456789abcdef", principal, ttl_seconds=60, issued_at=now
    )
    _is_problem(api.call("intake", "GET", f"/v1/clients/{uuid.uuid4()}", forged), 401)


def test_bad_api_key_and_platform_token_are_401(api):
    _is_problem(api.call("intake", "POST", "/v1/auth/token", json={"api_key": "rck_nope"}), 401)
    _is_problem(
        api.call(
            "intake",
            "POST",
            "/v1/organisations",
            json={"name": "X", "admin": {"name": "A", "email": "a@example.org"}},
            headers={"X-Platform-Token": "guess"},
        ),
        401,
    )


def test_phone_is_stored_in_e164_using_the_organisations_region(api, tenant):
    client = api.refer_client(tenant["token"], phone="0412 345 678")
    assert client["phone"] == "+61412345678"
