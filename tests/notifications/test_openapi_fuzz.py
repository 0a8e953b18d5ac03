"""schemathesis against the notifications OpenAPI document: no input gets a 5xx."""

from __future__ import annotations

import uuid

from services.notifications.client_web import links as client_links
from tests.support.schemathesis_check import (
    assert_hostile_text_never_fails,
    assert_no_server_errors,
)


def test_no_generated_request_gets_a_server_error(notifications):
    n = notifications
    tenant = uuid.uuid4()
    n.refer(tenant)
    headers = {"Authorization": f"Bearer {n.token(tenant)}"}
    # Nothing is pinned here: past a dozen or so examples an operation's generated ids
    # mostly meet one more 404 (the other services run a dozen, on real ids).
    statuses = assert_no_server_errors(n.app, headers, max_examples=15)
    assert sum(statuses.values()) > 100
    assert statuses[200] > 0, statuses  # some requests were valid enough to succeed
    hostile = assert_hostile_text_never_fails(n.app, headers, max_examples=12)
    assert hostile[422], hostile
    documented = n.app.test_client().get("/openapi.json").json
    for path, item in documented["paths"].items():
        if path.startswith("/v1/") and "webhooks" not in path:
            for method, operation in item.items():
                if method == "parameters":
                    continue
                assert "401" in operation["responses"], (path, operation)


def test_the_clients_pages_with_a_valid_link_never_get_a_server_error(notifications):
    """The public pages behind a real signed link: generated forms reach the recording."""
    n = notifications
    tenant = uuid.uuid4()
    email = "jo.fuzz@example.net"
    client = n.onboard(tenant, email=email)
    secret, now = n.settings.jwt_secret, n.clock()
    for token in (
        client_links.page_token(secret, now, tenant, client, email=email),
        client_links.rating_token(secret, now, tenant, client, uuid.uuid4(), 7, email=email),
    ):
        statuses = assert_no_server_errors(
            n.app, {}, max_examples=10, path_parameters={"token": token}
        )
        assert statuses[200] + statuses[303] > 0, statuses
        hostile = assert_hostile_text_never_fails(
            n.app, {}, max_examples=8, path_parameters={"token": token}
        )
        assert hostile[422] or hostile[400], hostile


def test_a_clients_supporters_and_disclosures_never_get_a_server_error(notifications):
    """The supporters' routes on a real client and supporter: generated bodies are a
    201, a 409 (six) or a 4xx naming the field, never a 5xx."""
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant)
    token = n.token(tenant)
    headers = {"Authorization": f"Bearer {token}"}
    added = n.call(
        "POST",
        f"/v1/clients/{client}/supporters",
        token,
        json={
            "name": "Sam",
            "email": "sam@example.org",
            "scopes": ["celebrations"],
            "consent": {"method": "form"},
        },
    )
    assert added.status_code == 201, added.json
    pinned = {"client_id": str(client), "supporter_id": added.json["id"]}
    statuses = assert_no_server_errors(n.app, headers, max_examples=8, path_parameters=pinned)
    assert statuses[200] > 0, statuses
    hostile = assert_hostile_text_never_fails(
        n.app, headers, max_examples=6, path_parameters=pinned
    )
    assert hostile[422] or hostile[400], hostile
    from services.notifications.supporters.tokens import token_for

    link = token_for(n.settings.jwt_secret, tenant, added.json["id"], n.clock())
    statuses = assert_no_server_errors(n.app, {}, max_examples=8, path_parameters={"token": link})
    assert statuses[200] > 0, statuses


def test_the_safety_plan_of_a_real_client_never_gets_a_server_error(notifications):
    """Generated plans, versions and If-Match headers against a client who exists (and
    has a plan), so that they reach the database rather than a 404."""
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant)
    headers = {"Authorization": f"Bearer {n.token(tenant)}"}
    path = f"/v1/clients/{client}/safety-plan"
    written = n.call("PUT", path, n.token(tenant), json={"warning_signs": ["Not sleeping"]})
    assert written.status_code == 200, written.json
    pinned = {"client_id": str(client)}
    statuses = assert_no_server_errors(n.app, headers, max_examples=10, path_parameters=pinned)
    assert statuses[200] > 0, statuses
    hostile = assert_hostile_text_never_fails(
        n.app, headers, max_examples=8, path_parameters=pinned
    )
    assert hostile[422], hostile
    assert n.call("GET", path, n.token(tenant)).status_code == 200
