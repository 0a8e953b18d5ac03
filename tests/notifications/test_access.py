"""Coaches see only their own clients' notifications, by the rule intake uses: the
clients assigned to them or referred by them. Org admins see their whole organisation;
another organisation's client does not exist."""

from __future__ import annotations

import uuid

CLIENT_ENDPOINTS = (
    ("GET", "/v1/clients/{client}/notifications", None),
    ("GET", "/v1/clients/{client}/preferences", None),
    ("PUT", "/v1/clients/{client}/preferences", {"daily_cap": 2}),
)


def _statuses(n, token, client) -> list[int]:
    return [
        n.call(
            method, path.format(client=client), token, **({"json": body} if body else {})
        ).status_code
        for method, path, body in CLIENT_ENDPOINTS
    ]


def test_another_coachs_client_is_not_found_and_changes_nothing(notifications):
    n = notifications
    tenant, coach_a, coach_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    client_of_b = n.onboard(tenant, coach_b)
    admin = n.token(tenant)
    path = f"/v1/clients/{client_of_b}/preferences"

    assert _statuses(n, n.token(tenant, "coach", coach_a), client_of_b) == [404, 404, 404]
    refused = n.call("PUT", path, n.token(tenant, "coach", coach_a), json={"daily_cap": 7})
    assert refused.content_type == "application/problem+json"
    assert n.call("GET", path, admin).json["daily_cap"] == 3  # the refused PUT wrote nothing

    assert _statuses(n, n.token(tenant, "coach", coach_b), client_of_b) == [200, 200, 200]
    assert _statuses(n, admin, client_of_b) == [200, 200, 200]
    assert _statuses(n, n.token(uuid.uuid4(), "org_admin"), client_of_b) == [404, 404, 404]
    # Even with coach B's own staff id, a token of another organisation finds nothing.
    assert _statuses(n, n.token(uuid.uuid4(), "coach", coach_b), client_of_b) == [404, 404, 404]


def test_reassigning_the_coach_through_client_updated_moves_access(notifications):
    n = notifications
    tenant, coach_a, coach_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    client = n.onboard(tenant, coach_a)
    as_a, as_b = n.token(tenant, "coach", coach_a), n.token(tenant, "coach", coach_b)
    assert (_statuses(n, as_a, client), _statuses(n, as_b, client)) == ([200] * 3, [404] * 3)

    n.update(tenant, client, ["coach_id"], coach_id=coach_b)

    assert (_statuses(n, as_a, client), _statuses(n, as_b, client)) == ([404] * 3, [200] * 3)


def test_the_referring_coach_keeps_sight_of_the_client_as_in_intake(notifications):
    n = notifications
    tenant, referrer, assigned = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    client = n.refer(tenant, referred_by=referrer)
    as_referrer, as_assigned = (n.token(tenant, "coach", s) for s in (referrer, assigned))
    assert _statuses(n, as_referrer, client) == [200] * 3
    assert _statuses(n, as_assigned, client) == [404] * 3

    n.onboard(tenant, assigned, client_id=client)
    n.update(tenant, client, ["phone"], coach_id=assigned)

    assert _statuses(n, as_referrer, client) == [200] * 3
    assert _statuses(n, as_assigned, client) == [200] * 3
    assert _statuses(n, n.token(tenant, "coach"), client) == [404] * 3


def test_an_erased_client_is_gone_for_coaches_and_kept_bare_for_admins(notifications):
    n = notifications
    tenant, coach = uuid.uuid4(), uuid.uuid4()
    client = n.onboard(tenant, coach)
    n.event("client.erased", tenant, {"client_id": client})
    assert _statuses(n, n.token(tenant, "coach", coach), client) == [404] * 3
    listed = n.call("GET", f"/v1/clients/{client}/notifications", n.token(tenant))
    assert sorted((i["kind"], i["state"]) for i in listed.json["items"]) == [
        ("weekly_digest", "cancelled"),
        ("welcome", "cancelled"),
    ]
