"""A token follows its member: revoked keys, deactivated members and demoted admins are
refused by every service within seconds, not when the token expires."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.outbox import events
from tests.support.waiting import wait_for

SERVICES = ("intake", "plans", "notifications")
# How long a change may take to reach every service: the relay and the consumers run in
# this process, stepped by each probe, so this bounds the checks, not the events' trip.
WITHIN_SECONDS = 5


@pytest.fixture
def world(api, tenant, system):
    """An organisation with a coach, and a client of that coach every service knows."""
    admin = tenant["token"]
    coach, coach_token = api.add_staff(admin)
    client = api.refer_client(coach_token)
    system.settle()
    return {"admin": admin, "client": client, "coach": coach, "coach_token": coach_token}


def _read(api, world, service: str, token: str) -> int:
    """The status of a read any staff member of the organisation may make."""
    path = {
        "intake": "/v1/clients",
        "plans": "/v1/settings",
        "notifications": f"/v1/clients/{world['client']['id']}/notifications",
    }[service]
    return api.call(service, "GET", path, token).status


def _admin_only(api, service: str, token: str) -> int:
    """The status of a call only org admins may make."""
    if service == "plans":
        body = {"review_interval_weeks": 10, "missed_checkin_after_minutes": 60}
        return api.call("plans", "PUT", "/v1/settings", token, json=body).status
    path = {"intake": "/v1/staff", "notifications": "/v1/organisation/notification-settings"}
    return api.call(service, "GET", path[service], token).status


def _everywhere(system, service: str, probe):
    """Wait until ``probe()`` holds on ``service``, letting events flow meanwhile."""

    def step():
        system.relay()
        system.consume(service, idle_seconds=0.05)
        return probe()

    return wait_for(step, timeout=WITHIN_SECONDS, what=f"the change to reach {service}")


def _staff_path(world) -> str:
    return f"/v1/staff/{world['coach']['id']}"


def test_a_revoked_keys_tokens_are_refused_by_every_service_within_seconds(api, world, system):
    token = world["coach_token"]
    for service in SERVICES:  # accepted, and so remembered by each process
        assert _read(api, world, service, token) == 200, service
    keys = api.call("intake", "GET", f"{_staff_path(world)}/keys", world["admin"]).body["items"]

    revoked = api.call(
        "intake", "DELETE", f"{_staff_path(world)}/keys/{keys[0]['id']}", world["admin"]
    )
    assert revoked.status == 204

    for service in SERVICES:
        _everywhere(system, service, lambda s=service: _read(api, world, s, token) == 401)
    [change] = events(system, "intake", "staff.access_changed")
    assert change["data"]["tokens_valid_after"] is not None

    # Another key of the member buys a token that works everywhere.
    issued = api.call("intake", "POST", f"{_staff_path(world)}/keys", world["admin"])
    fresh = api.token_for(issued.body["api_key"])
    for service in SERVICES:
        assert _read(api, world, service, fresh) == 200, service


def test_a_rotated_keys_tokens_are_refused_and_the_new_keys_work(api, world, system):
    token = world["coach_token"]
    keys = api.call("intake", "GET", f"{_staff_path(world)}/keys", world["admin"]).body["items"]
    rotated = api.call(
        "intake", "POST", f"{_staff_path(world)}/keys/{keys[0]['id']}/rotate", world["admin"]
    )
    assert rotated.status == 201
    fresh = api.token_for(rotated.body["api_key"])
    for service in SERVICES:
        _everywhere(system, service, lambda s=service: _read(api, world, s, token) == 401)
        assert _read(api, world, service, fresh) == 200, service


def test_a_deactivated_member_is_refused_everywhere_and_a_new_token_works_after_reactivation(
    api, world, system
):
    token, path = world["coach_token"], _staff_path(world)
    for service in SERVICES:
        assert _read(api, world, service, token) == 200, service

    off = api.call("intake", "PATCH", path, world["admin"], json={"active": False})
    assert off.status == 200
    # Intake checks writes against its own table at once.
    refer = api.call("intake", "POST", "/v1/clients", token, json={"given_name": "Ana"})
    assert refer.status == 401
    for service in SERVICES:
        _everywhere(system, service, lambda s=service: _read(api, world, s, token) == 401)

    on = api.call("intake", "PATCH", path, world["admin"], json={"active": True})
    assert on.status == 200
    keys = api.call("intake", "GET", f"{path}/keys", world["admin"]).body["items"]
    fresh = api.token_for(
        api.call("intake", "POST", f"{path}/keys", world["admin"]).body["api_key"]
    )
    assert len(keys) == 1
    for service in SERVICES:
        _everywhere(system, service, lambda s=service: _read(api, world, s, fresh) == 200)
        # A token from before the deactivation stays refused.
        assert _read(api, world, service, token) == 401, service


def test_a_demoted_admin_loses_admin_rights_everywhere_and_cannot_create_an_admin(
    api, world, system
):
    from services.intake.models import StaffMember

    second, token = api.add_staff(world["admin"], role="org_admin", name="Sam Admin")
    system.settle()
    for service in SERVICES:
        assert _admin_only(api, service, token) == 200, service

    demoted = api.call(
        "intake", "PATCH", f"/v1/staff/{second['id']}", world["admin"], json={"role": "coach"}
    )
    assert demoted.status == 200

    # At once in intake: the token still says org_admin, the member no longer is one.
    new_admin = {"name": "Mallory", "email": "mallory@example.org", "role": "org_admin"}
    assert api.call("intake", "POST", "/v1/staff", token, json=new_admin).status == 403
    with system.runtimes["intake"].session_factory() as session:
        admins = select(func.count()).where(StaffMember.role == "org_admin")
        assert session.scalar(admins) == 1
    # Still a coach of the organisation: a coach's reads work, scoped as a coach's are
    # (another coach's client is a 404 in notifications, as it would not be for an admin).
    as_a_coach = {"intake": 200, "plans": 200, "notifications": 404}
    for service in SERVICES:
        _everywhere(system, service, lambda s=service: _admin_only(api, s, token) == 403)
        assert _read(api, world, service, token) == as_a_coach[service], service


def test_a_member_the_projection_has_not_heard_of_is_taken_at_the_token_word(api, world, system):
    from services.plans.models import StaffAccess

    with system.runtimes["plans"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(StaffAccess)) == 0
    assert _read(api, world, "plans", world["coach_token"]) == 200


def test_a_token_lasts_a_working_session_and_the_api_key_posted_again_gives_a_new_one(api):
    import jwt

    organisation = api.create_organisation()
    issued = api.call(
        "intake", "POST", "/v1/auth/token", json={"api_key": organisation["api_key"]}
    ).body
    assert issued["expires_in"] == 8 * 3600
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert claims["exp"] - int(claims["iat"]) == 8 * 3600  # exp: whole seconds
    again = api.call(
        "intake", "POST", "/v1/auth/token", json={"api_key": organisation["api_key"]}
    ).body
    me = api.call("intake", "GET", "/v1/clients", again["access_token"])
    assert me.status == 200
