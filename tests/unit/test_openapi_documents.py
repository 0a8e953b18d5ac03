"""What every service's OpenAPI document promises a client: a POST can be retried safely
with an Idempotency-Key, a list pages the same way, a write honouring If-Match says so."""

from __future__ import annotations

import pytest

from coaching.registry import SERVICES

# Posted by Twilio (signed; a message is recorded once by its MessageSid) or by a
# client's browser from a form (no custom header): neither can send an Idempotency-Key.
NOT_KEYED = {
    ("notifications", "/v1/webhooks/sms/inbound"),
    ("notifications", "/v1/webhooks/sms/status"),
    ("notifications", "/unsubscribe/{token}"),
    ("notifications", "/r/{token}"),
    ("notifications", "/me/{token}/done"),
    ("notifications", "/me/{token}/undo"),
    ("notifications", "/me/{token}/mood"),
    ("notifications", "/me/{token}/journal"),
    ("notifications", "/supporters/{token}"),
    ("notifications", "/me/{token}/supporters"),
    ("notifications", "/me/{token}/supporters/{supporter_id}/remove"),
    ("notifications", "/alerts/{token}"),  # the signed link: acknowledges once by itself
    # A second submit of the same form changes nothing: the version it read is stale.
    ("notifications", "/me/{token}/safety-plan/coping"),
    ("notifications", "/me/{token}/safety-plan/confirm"),
}


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, dict]:
    from coaching.registry import load_settings

    with pytest.MonkeyPatch.context() as env:
        env.setenv("VAR_DIR", str(tmp_path_factory.mktemp("var")))
        env.setenv("COACHING_MODE", "embedded")  # module-scoped: the autouse one is not yet
        settings = load_settings()
        found = {}
        for name, service in SERVICES.items():
            app = service.build_runtime(settings).create_app()
            reply = app.test_client().get("/openapi.json")
            assert reply.status_code == 200, name
            found[name] = reply.get_json()
    return found


def _operations(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                yield path, method.upper(), operation


def _headers(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", ()) if p["in"] == "header"}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_post_declares_the_idempotency_key_header(documents, service):
    posts = [
        path
        for path, method, _ in _operations(documents[service])
        if method == "POST" and (service, path) not in NOT_KEYED
    ]
    assert posts, service
    undeclared = [
        path
        for path, method, operation in _operations(documents[service])
        if method == "POST"
        and (service, path) not in NOT_KEYED
        and "Idempotency-Key" not in _headers(operation)
    ]
    assert undeclared == []


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_idempotency_key_is_documented_the_same_way_everywhere(documents, service):
    declared = [
        parameter
        for _, _, operation in _operations(documents[service])
        for parameter in operation.get("parameters", ())
        if parameter["name"] == "Idempotency-Key"
    ]
    assert declared
    for parameter in declared:
        assert parameter["in"] == "header" and parameter["required"] is False
        assert parameter["schema"] == {"type": "string", "maxLength": 200}
        assert "replay" in parameter["description"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_list_takes_limit_and_cursor_and_answers_a_next_cursor(documents, service):
    document = documents[service]
    components = document["components"]["schemas"]
    lists = []
    for path, method, operation in _operations(document):
        answer = operation["responses"].get("200", {}).get("content", {})
        reference = answer.get("application/json", {}).get("schema", {}).get("$ref", "")
        if "next_cursor" not in components.get(reference.rsplit("/", 1)[-1], {}).get(
            "properties", {}
        ):
            continue
        lists.append(path)
        query = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
        assert {"limit", "cursor"} <= query, (method, path)
        assert "422" in operation["responses"], (method, path)
    assert lists, service


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_write_that_answers_412_declares_if_match(documents, service):
    undeclared = [
        (method, path)
        for path, method, operation in _operations(documents[service])
        if "412" in operation["responses"] and "If-Match" not in _headers(operation)
    ]
    assert undeclared == []
