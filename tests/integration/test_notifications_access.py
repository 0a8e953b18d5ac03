"""Notifications through intake's own events: which coach may see a client's nudges and
preferences, and the channel the client asked for at referral."""

from __future__ import annotations


def _statuses(api, token, client_id) -> list[int]:
    return [
        api.call("notifications", method, f"/v1/clients/{client_id}/{path}", token, **kwargs).status
        for method, path, kwargs in (
            ("GET", "notifications", {}),
            ("GET", "preferences", {}),
            ("PUT", "preferences", {"json": {"daily_cap": 4}}),
        )
    ]


def test_coaches_see_their_own_clients_notifications_and_follow_a_reassignment(api, tenant, system):
    admin = tenant["token"]
    coach_a, token_a = api.add_staff(admin, name="Alex Coach")
    coach_b, token_b = api.add_staff(admin, name="Billie Coach")
    client = api.onboarded_client(admin, coach_b["id"])
    system.settle()

    assert _statuses(api, token_a, client["id"]) == [404, 404, 404]
    assert _statuses(api, token_b, client["id"]) == [200, 200, 200]
    assert _statuses(api, admin, client["id"]) == [200, 200, 200]
    _, other_admin = api.new_tenant("Another Provider")
    assert _statuses(api, other_admin, client["id"]) == [404, 404, 404]

    current = api.call("intake", "GET", f"/v1/clients/{client['id']}", admin)
    moved = api.call(
        "intake",
        "PATCH",
        f"/v1/clients/{client['id']}",
        admin,
        json={"coach_id": coach_a["id"]},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert moved.status == 200, moved.body
    system.settle()

    assert _statuses(api, token_a, client["id"]) == [200, 200, 200]
    assert _statuses(api, token_b, client["id"]) == [404, 404, 404]


def test_the_coach_who_referred_a_client_sees_their_notifications_as_in_intake(api, tenant, system):
    _, referrer = api.add_staff(tenant["token"], name="Robin Referrer")
    _, bystander = api.add_staff(tenant["token"], name="Sam Bystander")
    client = api.refer_client(referrer)
    system.settle()

    assert api.call("intake", "GET", f"/v1/clients/{client['id']}", referrer).status == 200
    assert _statuses(api, referrer, client["id"]) == [200, 200, 200]
    assert _statuses(api, bystander, client["id"]) == [404, 404, 404]


def test_a_client_who_prefers_sms_gets_the_first_nudge_by_sms(api, tenant, system, smtp):
    client = api.onboarded_client(
        tenant["token"], tenant["staff_id"], preferred_channels=["sms", "email"]
    )
    system.settle()

    nudges = api.nudges_of(tenant["token"], client["id"])
    assert sorted((n["kind"], n["channel"], n["state"]) for n in nudges) == [
        ("weekly_digest", "sms", "scheduled"),
        ("welcome", "sms", "sent"),
    ]
    assert smtp.messages == []
    preferences = api.call(
        "notifications", "GET", f"/v1/clients/{client['id']}/preferences", tenant["token"]
    )
    assert preferences.body["preferred_channel"] == "sms"
