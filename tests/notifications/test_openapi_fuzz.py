"""schemathesis against the notifications OpenAPI document: no input gets a 5xx."""

from __future__ import annotations

import uuid

from tests.support.schemathesis_check import (
    assert_hostile_text_never_fails,
    assert_no_server_errors,
)


def test_no_generated_request_gets_a_server_error(notifications):
    n = notifications
    tenant = uuid.uuid4()
    n.refer(tenant)
    headers = {"Authorization": f"Bearer {n.token(tenant)}"}
    statuses = assert_no_server_errors(n.app, headers, max_examples=30)
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
