"""A safety plan's help contact may point at one of the client's own supporters
(``supporter_id``): anyone else's, or a removed one, is a 422 naming the field; the API,
the client's page and the PLAN text show the supporter's current name and phone; once the
supporter is removed or erased, only the name kept in the plan, never a phone."""

from __future__ import annotations

import uuid

from sqlalchemy import delete

from services.notifications.supporters.models import Supporter
from tests.notifications.test_safety_plans import (
    PLAN,
    _client,
    _page,
    _path,
    _put,
    _text,
    _texts,
    provider,  # noqa: F401  (the fixture)
)

SUPPORTER_PHONE = "+61411222333"


def _supporter(n, token, client, name="Sam Rivers", phone=SUPPORTER_PHONE) -> dict:
    added = n.call(
        "POST",
        f"/v1/clients/{client}/supporters",
        token,
        json={
            "name": name,
            "phone": phone,
            "scopes": ["missed_checkins"],
            "consent": {"method": "verbal"},
        },
    )
    assert added.status_code == 201, added.json
    return added.json


def _plan_with(supporter_id) -> dict:
    return PLAN | {
        "help_contacts": [
            {"name": "Auntie Marguerite", "phone": "0412 000 111"},
            {"name": "my sister", "supporter_id": str(supporter_id)},
        ]
    }


def test_a_supporter_in_the_plan_is_shown_with_their_current_name_and_phone(
    notifications_with_sms,
    provider,  # noqa: F811
):
    n = notifications_with_sms
    tenant, coach, client = _client(n, email="jo@example.org")
    token = n.token(tenant, "coach", coach)
    supporter = _supporter(n, token, client)
    written = _put(n, token, client, _plan_with(supporter["id"]))
    assert written.status_code == 200, written.json
    shown = n.call("GET", _path(client), token).json
    assert shown["help_contacts"] == [
        {"name": "Auntie Marguerite", "phone": "0412 000 111"},
        {"name": "Sam Rivers", "phone": SUPPORTER_PHONE, "supporter_id": supporter["id"]},
    ]
    html = n.http.get(_page(n, tenant, client) + "/safety-plan").get_data(as_text=True)
    assert "Sam Rivers" in html and SUPPORTER_PHONE in html
    n.dispatch()
    before = len(_texts(provider))
    _text(n, "PLAN")
    n.dispatch()
    assert f"- Sam Rivers {SUPPORTER_PHONE}" in "\n".join(_texts(provider)[before:])


def test_a_removed_supporter_leaves_only_the_plans_name(
    notifications_with_sms,
    provider,  # noqa: F811
):
    n = notifications_with_sms
    tenant, coach, client = _client(n, email="jo@example.org")
    token = n.token(tenant, "coach", coach)
    supporter = _supporter(n, token, client)
    assert _put(n, token, client, _plan_with(supporter["id"])).status_code == 200
    gone = n.call("DELETE", f"/v1/clients/{client}/supporters/{supporter['id']}", token)
    assert gone.status_code == 204
    shown = n.call("GET", _path(client), token).json
    assert shown["help_contacts"][1] == {
        "name": "my sister",
        "phone": None,
        "supporter_id": supporter["id"],
    }
    html = n.http.get(_page(n, tenant, client) + "/safety-plan").get_data(as_text=True)
    assert "my sister" in html and SUPPORTER_PHONE not in html and "Sam Rivers" not in html
    n.dispatch()
    before = len(_texts(provider))
    _text(n, "PLAN")
    n.dispatch()
    sent = "\n".join(_texts(provider)[before:])
    assert "- my sister\n" in sent and SUPPORTER_PHONE not in sent
    # Writing the plan again with the removed supporter is refused.
    again = _put(n, token, client, _plan_with(supporter["id"]))
    assert again.status_code == 422
    assert again.content_type == "application/problem+json"
    assert "supporter_id" in again.json["errors"]["help_contacts"]["1"]


def test_another_clients_or_an_unknown_supporter_is_a_422_naming_the_field(notifications):
    n = notifications
    tenant, coach, client = _client(n)
    token = n.token(tenant, "coach", coach)
    other = n.onboard(tenant, coach_id=coach, phone="+61412999888")
    theirs = _supporter(n, token, other)
    other_tenant, other_coach, stranger = _client(n, phone="+61412777666")
    foreign = _supporter(n, n.token(other_tenant, "coach", other_coach), stranger)
    for supporter_id in (theirs["id"], foreign["id"], uuid.uuid4()):
        refused = _put(n, token, client, _plan_with(supporter_id))
        assert refused.status_code == 422, refused.json
        assert refused.content_type == "application/problem+json"
        assert "supporter_id" in refused.json["errors"]["help_contacts"]["1"]
    assert n.call("GET", _path(client), token).status_code == 404  # nothing written
    bad = _put(n, token, client, _plan_with("not-an-id"))
    assert bad.status_code == 422
    assert "supporter_id" in bad.json["errors"]["help_contacts"]["1"]
    # Only a help contact may point at a supporter.
    professional = PLAN | {"professionals": [{"name": "Dr O", "supporter_id": theirs["id"]}]}
    assert _put(n, token, client, professional).status_code == 422


def test_a_supporter_gone_from_the_records_leaves_only_the_plans_name(notifications):
    """As erasure leaves it (the supporter's row deleted): the name kept, no phone."""
    n = notifications
    tenant, coach, client = _client(n)
    token = n.token(tenant, "coach", coach)
    supporter = _supporter(n, token, client)
    assert _put(n, token, client, _plan_with(supporter["id"])).status_code == 200
    with n.runtime.session_factory() as session, session.begin():
        session.execute(delete(Supporter).where(Supporter.id == uuid.UUID(supporter["id"])))
    shown = n.call("GET", _path(client), token).json
    assert shown["help_contacts"][1] == {
        "name": "my sister",
        "phone": None,
        "supporter_id": supporter["id"],
    }
