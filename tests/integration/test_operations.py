"""What an operator relies on: health, readiness, metrics, and logs free of personal data."""

from __future__ import annotations

import logging


def test_health_readiness_and_metrics_on_every_service(system):
    for name, app in system.apps.items():
        client = app.test_client()
        assert client.get("/healthz").status_code == 200, name
        ready = client.get("/readyz")
        assert ready.status_code == 200, (name, ready.get_json())
        assert set(ready.get_json()["checks"]) == {"database"}
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert b"http_requests_total" in metrics.data
        spec = client.get("/openapi.json")
        assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.")
        page = client.get("/docs")
        assert page.status_code == 200 and b"/docs/assets/swagger-ui-bundle.js" in page.data
        for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
            assert client.get(f"/docs/assets/{asset}").status_code == 200, asset


def test_an_api_stays_ready_and_takes_writes_while_the_broker_is_unreachable(
    system, api, tenant, monkeypatch
):
    """A broker outage takes no API out of its Service: a write's events wait in the
    outbox until the relay can publish them."""
    from dataclasses import replace

    for runtime in system.runtimes.values():
        monkeypatch.setattr(
            runtime,
            "settings",
            replace(runtime.settings, broker_url="amqp://guest:guest@127.0.0.1:1//"),
        )
    for name, app in system.apps.items():
        reply = app.test_client().get("/readyz")
        assert reply.status_code == 200, (name, reply.get_json())
    referred = api.refer_client(tenant["token"])
    assert referred["id"]


def test_readiness_reports_an_unreachable_database_as_503(system, monkeypatch):
    runtime = system.runtimes["intake"]

    def unreachable():
        raise ConnectionRefusedError("the database is down")

    monkeypatch.setattr(runtime.engine, "connect", unreachable)
    reply = system.apps["intake"].test_client().get("/readyz")
    assert reply.status_code == 503
    assert reply.content_type.startswith("application/problem+json")
    assert set(reply.get_json()["errors"]) == {"database"}


def test_journey_logs_carry_ids_but_no_personal_data(api, tenant, system, caplog):
    caplog.set_level(logging.DEBUG)
    client = api.onboarded_client(
        tenant["token"],
        tenant["staff_id"],
        given_name="Zebedee",
        family_name="Quartermaine",
        preferred_name="Zeb",
        email="zebedee.q@example.net",
        phone="0498 765 432",
    )
    system.settle()
    assert api.plans_of(tenant["token"], client["id"])

    # Everything our processes logged; aiosmtpd ("mail.log") is the test's SMTP server.
    ours = [r for r in caplog.records if not r.name.startswith("mail.")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    tenant_id = tenant["organisation"]["organisation"]["id"]
    assert "request" in logged and tenant_id in logged  # captured, and scoped by tenant
    for personal in (
        "Zebedee",
        "Quartermaine",
        "zebedee.q@example.net",
        "498 765 432",
        "+61498765432",
        "Zeb ",
    ):
        assert personal not in logged
