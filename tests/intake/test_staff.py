"""Staff and API keys: org admins manage them; keys are hashed, shown once, revocable."""

from __future__ import annotations

from sqlalchemy import select


def test_org_admin_adds_a_coach_whose_key_is_shown_once_stored_hashed_and_works(
    api, tenant, intake
):
    from services.intake.models import ApiKey

    admin = tenant["token"]
    reply = api.call(
        "intake",
        "POST",
        "/v1/staff",
        admin,
        json={
            "name": "Casey Coach",
            "email": "Casey@Example.org",
            "phone": "0412 000 111",
            "role": "coach",
        },
    )
    assert reply.status == 201, reply.body
    staff, api_key = reply.body["staff"], reply.body["api_key"]
    assert staff["email"] == "casey@example.org"
    assert staff["phone"] == "+61412000111"
    assert reply.headers["Location"].endswith(f"/v1/staff/{staff['id']}")
    coach_token = api.token_for(api_key)

    # The key never comes back: not on the staff member, not in the key list.
    fetched = api.call("intake", "GET", f"/v1/staff/{staff['id']}", admin)
    assert fetched.status == 200 and "api_key" not in fetched.body
    keys = api.call("intake", "GET", f"/v1/staff/{staff['id']}/keys", admin)
    assert keys.status == 200 and len(keys.body["items"]) == 1
    assert api_key not in str(keys.body)
    with intake.runtime.session_factory() as session:
        digests = session.scalars(select(ApiKey.secret_digest)).all()
    assert all(api_key.rsplit("_", 1)[1] not in digest for digest in digests)

    # A coach cannot manage staff.
    assert api.call("intake", "GET", "/v1/staff", coach_token).status == 403

    created = intake.published("staff.created")
    # The organisation's first admin, then the new coach.
    assert [e["data"]["staff_id"] for e in created] == [tenant["staff_id"], staff["id"]]
    assert created[1]["data"]["role"] == "coach"
    assert created[1]["data"]["phone"] == "+61412000111"

    duplicate = api.call(
        "intake",
        "POST",
        "/v1/staff",
        admin,
        json={"name": "Other", "email": "casey@example.org", "role": "coach"},
    )
    assert duplicate.status == 409 and "email" in duplicate.body["errors"]


def test_a_replayed_staff_creation_does_not_show_the_key_again_nor_store_it(api, tenant, intake):
    from services.intake.models import IdempotencyKey

    body = {"name": "Dana Coach", "email": "dana@example.org", "role": "coach"}
    headers = {"Idempotency-Key": "staff-1"}
    first = api.call("intake", "POST", "/v1/staff", tenant["token"], json=body, headers=headers)
    again = api.call(
        "intake", "POST", "/v1/staff", tenant["token"], json=body, headers=dict(headers)
    )
    assert first.status == again.status == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.body["staff"] == first.body["staff"]
    assert first.body["api_key"] and again.body["api_key"] is None
    api.token_for(first.body["api_key"])
    with intake.runtime.session_factory() as session:
        stored = b"".join(session.scalars(select(IdempotencyKey.body)))
    assert first.body["api_key"].encode() not in stored


def test_keys_are_issued_rotated_and_revoked_and_old_keys_stop_working(api, tenant):
    admin = tenant["token"]
    staff, _ = api.add_staff(admin)
    keys_path = f"/v1/staff/{staff['id']}/keys"

    issued = api.call("intake", "POST", keys_path, admin)
    assert issued.status == 201, issued.body
    second_key = issued.body["api_key"]
    api.token_for(second_key)

    rotated = api.call("intake", "POST", f"{keys_path}/{issued.body['id']}/rotate", admin)
    assert rotated.status == 201, rotated.body
    old = api.call("intake", "POST", "/v1/auth/token", json={"api_key": second_key})
    assert old.status == 401
    api.token_for(rotated.body["api_key"])
    again = api.call("intake", "POST", f"{keys_path}/{issued.body['id']}/rotate", admin)
    assert again.status == 409

    revoked = api.call("intake", "DELETE", f"{keys_path}/{rotated.body['id']}", admin)
    assert revoked.status == 204
    gone = api.call("intake", "POST", "/v1/auth/token", json={"api_key": rotated.body["api_key"]})
    assert gone.status == 401

    listed = api.call("intake", "GET", keys_path, admin).body["items"]
    assert len(listed) == 3
    assert sum(key["revoked_at"] is None for key in listed) == 1  # the first key


def test_role_change_and_deactivation_emit_staff_updated_and_lock_the_member_out(
    api, tenant, intake
):
    admin = tenant["token"]
    reply = api.call(
        "intake",
        "POST",
        "/v1/staff",
        admin,
        json={"name": "Casey Coach", "email": "casey@example.org", "role": "coach"},
    )
    staff, api_key = reply.body["staff"], reply.body["api_key"]
    path = f"/v1/staff/{staff['id']}"

    promoted = api.call("intake", "PATCH", path, admin, json={"role": "org_admin"})
    assert promoted.status == 200 and promoted.body["role"] == "org_admin"
    deactivated = api.call("intake", "PATCH", path, admin, json={"active": False})
    assert deactivated.status == 200 and deactivated.body["active"] is False
    assert api.call("intake", "POST", "/v1/auth/token", json={"api_key": api_key}).status == 401

    updates = [e["data"] for e in intake.published("staff.updated")]
    assert [(u["role"], u["active"]) for u in updates] == [
        ("org_admin", True),
        ("org_admin", False),
    ]

    # The organisation keeps at least one active admin.
    last = api.call(
        "intake", "PATCH", f"/v1/staff/{tenant['staff_id']}", admin, json={"role": "coach"}
    )
    assert last.status == 409
    assert api.call("intake", "PATCH", path, admin, json={}).status == 422


def test_staff_list_filters_by_role_and_pages_with_a_cursor(api, tenant):
    admin = tenant["token"]
    for _ in range(3):
        api.add_staff(admin)
    first = api.call("intake", "GET", "/v1/staff?role=coach&limit=2", admin)
    assert first.status == 200 and len(first.body["items"]) == 2
    second = api.call(
        "intake", "GET", f"/v1/staff?role=coach&limit=2&cursor={first.body['next_cursor']}", admin
    )
    assert len(second.body["items"]) == 1 and second.body["next_cursor"] is None
    admins = api.call("intake", "GET", "/v1/staff?role=org_admin", admin).body["items"]
    assert [s["id"] for s in admins] == [tenant["staff_id"]]
