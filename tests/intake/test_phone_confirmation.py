"""The client record shows whether the person with its phone has confirmed, by replying,
that the record is theirs: intake consumes contact.phone_confirmed from notifications
(handed to intake's inbox here; the journey in ``tests/integration/test_client_replies.py``
takes it through the broker). Only for the client's current phone, never an older
event over a newer one, cleared when the phone changes, tenant-scoped, and never for an
erased client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shared.events.payloads import phone_hash

PHONE = "+61412345678"  # the fixture's "0412 345 678", as intake stores it
NEW_PHONE = "+61400111222"
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _confirmation(intake, tenant_id, client_id, *, confirmed=True, at=AT, phone=PHONE):
    """Notifications announces a confirmation (or its loss), as ``replies.py`` does;
    intake's worker hands it to the inbox."""
    data = {
        "client_id": client_id,
        "confirmed": confirmed,
        "changed_at": at,
        "phone_hash": phone_hash(uuid.UUID(str(tenant_id)), phone),
    }
    intake.event("contact.phone_confirmed", tenant_id, data)


def _shown(api, token, client_id) -> tuple[bool, str | None]:
    reply = api.call("intake", "GET", f"/v1/clients/{client_id}", token)
    assert reply.status == 200, reply.body
    return reply.body["phone_confirmed"], reply.body["phone_confirmed_at"]


def _listed(api, token, client_id) -> bool:
    items = api.call("intake", "GET", "/v1/clients", token).body["items"]
    return next(c["phone_confirmed"] for c in items if c["id"] == client_id)


def test_a_confirmation_shows_on_the_client_and_in_the_list_until_the_phone_changes(
    api, tenant, intake
):
    token, tenant_id = tenant["token"], tenant["organisation"]["organisation"]["id"]
    client = api.refer_client(token)
    other = api.refer_client(
        token, given_name="Morgan", phone=None, consent={"email": True, "sms": False}
    )
    assert (client["phone_confirmed"], client["phone_confirmed_at"]) == (False, None)

    _confirmation(intake, tenant_id, client["id"])
    confirmed, confirmed_at = _shown(api, token, client["id"])
    assert confirmed is True and confirmed_at.startswith("2026-12-01T09:30")
    assert _listed(api, token, client["id"]) is True
    assert _listed(api, token, other["id"]) is False
    trail = api.call("intake", "GET", f"/v1/clients/{client['id']}/audit", token).body["items"]
    assert ("phone_confirmed", ["phone_confirmed_at"], None) in [
        (e["action"], e["fields"], e["actor_id"]) for e in trail
    ]
    # Nothing is announced in turn: plans and notifications learn it from the same event.
    assert intake.published("client.updated") == []

    # The coach changes the phone: the new number is not confirmed.
    etag = api.call("intake", "GET", f"/v1/clients/{client['id']}", token).headers["ETag"]
    changed = api.call(
        "intake",
        "PATCH",
        f"/v1/clients/{client['id']}",
        token,
        json={"phone": "0400 111 222"},
        headers={"If-Match": etag},
    )
    assert changed.status == 200, changed.body
    assert (changed.body["phone_confirmed"], changed.body["phone_confirmed_at"]) == (False, None)

    # A confirmation of the old number, however recent, is not one of the new number.
    _confirmation(intake, tenant_id, client["id"], at=AT + timedelta(hours=1))
    assert _shown(api, token, client["id"]) == (False, None)
    _confirmation(intake, tenant_id, client["id"], at=AT + timedelta(hours=2), phone=NEW_PHONE)
    assert _shown(api, token, client["id"])[0] is True


def test_an_older_confirmation_arriving_late_never_overrides_a_newer_one(api, tenant, intake):
    token, tenant_id = tenant["token"], tenant["organisation"]["organisation"]["id"]
    client = api.refer_client(token)

    _confirmation(intake, tenant_id, client["id"], at=AT)
    # The person confirmed another record for the number an hour before: older, ignored.
    _confirmation(intake, tenant_id, client["id"], confirmed=False, at=AT - timedelta(hours=1))
    assert _shown(api, token, client["id"])[0] is True

    # ... and an hour after: newer, so this record is no longer theirs.
    _confirmation(intake, tenant_id, client["id"], confirmed=False, at=AT + timedelta(hours=1))
    assert _shown(api, token, client["id"]) == (False, None)
    # The first confirmation delivered again (a new event of the same moment) changes nothing.
    _confirmation(intake, tenant_id, client["id"], at=AT)
    assert _shown(api, token, client["id"]) == (False, None)
    trail = api.call("intake", "GET", f"/v1/clients/{client['id']}/audit", token).body["items"]
    assert [e["action"] for e in trail if e["action"].startswith("phone_")] == [
        "phone_confirmed",
        "phone_unconfirmed",
    ]


def test_another_organisations_confirmation_of_the_same_id_changes_nothing(api, tenant, intake):
    token = tenant["token"]
    client = api.refer_client(token)
    other_org, other_token = api.new_tenant("Another Provider")
    other_tenant = other_org["organisation"]["id"]

    # Under the other tenant, even with that tenant's digest of the very same number.
    _confirmation(intake, other_tenant, client["id"])
    assert _shown(api, token, client["id"]) == (False, None)
    assert api.call("intake", "GET", f"/v1/clients/{client['id']}", other_token).status == 404


def test_onboarding_tells_plans_whether_the_phone_was_confirmed_before(api, tenant, intake):
    token, tenant_id = tenant["token"], tenant["organisation"]["organisation"]["id"]
    confirmed = api.refer_client(token)
    unconfirmed = api.refer_client(token, given_name="Morgan", email="m@example.net")
    _confirmation(intake, tenant_id, confirmed["id"])
    for client in (confirmed, unconfirmed):
        api.assess(token, client["id"])
        assert api.onboard(token, client["id"], tenant["staff_id"]).status == 200

    onboarded = {
        e["data"]["client_id"]: e["data"]["phone_confirmed_at"]
        for e in intake.published("client.onboarded")
    }
    assert onboarded[confirmed["id"]].startswith("2026-12-01T09:30")
    assert onboarded[unconfirmed["id"]] is None


def test_a_confirmation_arriving_after_erasure_leaves_the_client_erased(api, tenant, intake):
    from services.intake.models import Client

    token, tenant_id = tenant["token"], tenant["organisation"]["organisation"]["id"]
    client = api.refer_client(token)
    _confirmation(intake, tenant_id, client["id"])
    assert api.call("intake", "DELETE", f"/v1/clients/{client['id']}", token).status == 204

    _confirmation(intake, tenant_id, client["id"], at=AT + timedelta(hours=1))
    assert api.call("intake", "GET", f"/v1/clients/{client['id']}", token).status == 404
    with intake.runtime.session_factory() as session:
        row = session.scalar(select(Client).where(Client.id == uuid.UUID(client["id"])))
    assert row.erased_at is not None and row.phone is None
    assert (row.phone_confirmed_at, row.phone_confirmation_as_of) == (None, None)
