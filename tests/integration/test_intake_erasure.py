"""Erasure in intake: afterwards no row of any intake table holds the client's personal
data (outbox bodies and stored idempotent answers included); an anonymous tombstone and
the audit trail stay, and client.erased is on its way."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from coaching.registry import SERVICES, load_settings
from services.notifications.replies.webhook_signature import SIGNATURE_HEADER, compute_signature
from tests.conftest import PLATFORM_TOKEN
from tests.support.api import InProcessTransport, PlatformApi
from tests.support.database import text_values
from tests.support.outbox import events
from tests.support.system import InProcessSystem

SMS_AUTH_TOKEN = "sms-auth-token-for-erasure"
BASE_URL = "https://notify.harbour.example"

PERSONAL = (
    "Jordan",
    "Rivers",
    "jo.rivers@example.net",
    "412345678",  # the phone, in any format
    "400111222",  # the phone it was changed to
    "NDIS-777",
    "Dr Whitlam",
    "keen gardener",
    "Hears voices when stressed",
    "Goals achieved",
)


@pytest.fixture
def settings(env, monkeypatch):
    """The SMS webhook signed, so the client can reply by text before being erased."""
    monkeypatch.setenv("SMS_AUTH_TOKEN", SMS_AUTH_TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE_URL)
    return load_settings()


def _client_texts(system, body: str) -> None:
    form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": "+61412345678", "Body": body}
    url = BASE_URL + "/v1/webhooks/sms/inbound"
    signature = compute_signature(SMS_AUTH_TOKEN, url, form.items())
    reply = (
        system.apps["notifications"]
        .test_client()
        .post("/v1/webhooks/sms/inbound", data=form, headers={SIGNATURE_HEADER: signature})
    )
    assert reply.status_code == 200


def _leaks(system) -> list[tuple[str, str, str]]:
    return [
        (table, column, needle)
        for table, column, text in text_values(system, "intake")
        for needle in PERSONAL
        if needle.lower() in text.lower()
    ]


def test_erasure_leaves_no_personal_data_in_any_intake_table(api, tenant, system, caplog):
    caplog.set_level(logging.DEBUG)
    token = tenant["token"]
    referral = {
        "given_name": "Jordan",
        "family_name": "Rivers",
        "email": "jo.rivers@example.net",
        "phone": "0412 345 678",
        "timezone": "Australia/Sydney",
        "external_reference": "NDIS-777",
        "referral_source": "Dr Whitlam",
        "consent": {"email": True, "sms": True},
    }
    created = api.call(
        "intake", "POST", "/v1/clients", token, json=referral, headers={"Idempotency-Key": "r-1"}
    )
    assert created.status == 201
    cid = created.body["id"]
    control = api.refer_client(
        token, given_name="Morgan", family_name="Hale", email="m.hale@example.net", phone=None,
        consent={"email": True, "sms": False},
    )  # fmt: skip
    api.call(
        "intake",
        "PUT",
        f"/v1/clients/{cid}/assessment",
        token,
        json={
            "domain_ratings": {"housing": 4},
            "strengths": ["keen gardener"],
            "risk_notes": "Hears voices when stressed",
            "k10": {"items": [3] * 10},
        },
    )
    assert api.onboard(token, cid, tenant["staff_id"]).status == 200
    system.relay()  # the earlier events are published
    api.call("intake", "PATCH", f"/v1/clients/{cid}", token, json={"phone": "0400 111 222"})
    api.call(
        "intake",
        "POST",
        f"/v1/clients/{cid}/discharge",
        token,
        json={"reason": "Goals achieved"},
        headers={"Idempotency-Key": "d-1"},
    )  # these two stay pending in the outbox
    assert _leaks(system), "the test should start with personal data in intake"

    erased = api.call("intake", "DELETE", f"/v1/clients/{cid}", token)
    assert erased.status == 204, erased.body

    assert _leaks(system) == []
    # Only the erased client's data went: the other client is untouched.
    control_now = api.call("intake", "GET", f"/v1/clients/{control['id']}", token).body
    assert (control_now["given_name"], control_now["email"]) == ("Morgan", "m.hale@example.net")

    # The tombstone is gone from the API, but its audit trail remains for admins.
    assert api.call("intake", "GET", f"/v1/clients/{cid}", token).status == 404
    assert api.call("intake", "DELETE", f"/v1/clients/{cid}", token).status == 404
    listed = api.call("intake", "GET", "/v1/clients", token).body["items"]
    assert [c["id"] for c in listed] == [control["id"]]
    trail = api.call("intake", "GET", f"/v1/clients/{cid}/audit", token).body["items"]
    assert [e["action"] for e in trail][-1] == "erased"
    assert "assessed" in [e["action"] for e in trail]

    # Published history keeps its shape, without the data; pending details were dropped.
    kinds = [
        (e["type"], e["data"])
        for e in events(system, "intake")
        if e["data"].get("client_id") == cid
    ]
    assert [k for k, _ in kinds] == ["client.referred", "client.onboarded", "client.erased"]
    assert kinds[0][1] == {"client_id": cid, "redacted": True}

    # A replayed request does not bring the details back.
    replay = api.call(
        "intake", "POST", "/v1/clients", token, json=referral, headers={"Idempotency-Key": "r-1"}
    )
    assert replay.status == 410
    assert not any(needle in str(replay.body) for needle in PERSONAL)
    documented = api.call("intake", "GET", "/openapi.json", None).body
    assert "410" in documented["paths"]["/v1/clients"]["post"]["responses"]

    logged = caplog.text
    assert not [needle for needle in PERSONAL if needle in logged]

    # client.erased leaves through the relay like any event.
    assert system.relay() >= 1
    assert events(system, "intake", "client.erased")[0]["data"] == {"client_id": cid}


def test_erasure_reaches_every_service_that_holds_the_client(api, tenant, system):
    """Across the three services: after ``client.erased`` has been consumed, no row of any
    service's database holds the client's name, reference, email or phone; nor the
    coach's notes about them in plans' review report."""
    token = tenant["token"]
    client = api.onboarded_client(token, tenant["staff_id"], external_reference="NDIS-430099")
    system.settle()
    # The client's replies: a journal entry and a crisis message (health data).
    _client_texts(system, "Slept badly, argued with my brother")
    _client_texts(system, "I keep thinking about suicide")
    system.settle()
    plan = api.plans_of(token, client["id"])[0]
    notes = api.call(
        "plans",
        "PUT",
        f"/v1/plans/{plan['id']}/report-notes",
        token,
        json={"summary": "Settled into the tenancy", "recommendations": None},
    )
    assert notes.status == 200, notes.body
    # Name, reference, email and phone; the client's own words, which became their goals
    # in plans; what they wrote back; and what the coach wrote about them for the report.
    needles = (
        "Jordan",
        "Rivers",
        "NDIS-430099",
        "jo.rivers@example.net",
        "412345678",
        "community garden",
        "argued with my brother",
        "thinking about suicide",
        "Settled into the tenancy",
    )

    def leaks(service):
        return [
            (table, column, needle)
            for table, column, text in text_values(system, service)
            for needle in needles
            if needle.lower() in text.lower()
        ]

    # Before: every service holds some of it (so the check below can fail), and plans
    # holds the participant's full name and reference for its review report.
    assert all(leaks(service) for service in ("intake", "plans", "notifications"))
    for service in ("plans", "notifications"):  # the replies' words among them
        found = {needle for _table, _column, needle in leaks(service)}
        assert {"argued with my brother", "thinking about suicide"} <= found, service
    held_by_plans = {(table, needle) for table, _column, needle in leaks("plans")}
    assert {
        ("client_profiles", "Jordan"),
        ("client_profiles", "Rivers"),
        ("client_profiles", "NDIS-430099"),
        ("report_notes", "Settled into the tenancy"),
    } <= held_by_plans
    report = (
        system.apps["plans"]
        .test_client()
        .get(f"/v1/plans/{plan['id']}/report.html", headers={"Authorization": f"Bearer {token}"})
    )
    assert "Jordan Rivers" in report.get_data(as_text=True)
    assert "NDIS-430099" in report.get_data(as_text=True)

    assert api.call("intake", "DELETE", f"/v1/clients/{client['id']}", token).status == 204
    system.settle()

    for service in ("intake", "plans", "notifications"):
        assert leaks(service) == [], service


@pytest.fixture
def embedded_storage_system(env, tmp_path, monkeypatch):
    """The embedded default's storage (SQLite files in WAL mode, messages written to
    var/outbox), with the suite's RabbitMQ as the bus."""
    monkeypatch.delenv("SMTP_URL")
    for name in SERVICES:
        url = f"sqlite:///{tmp_path / 'databases' / name}.db"
        monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", url)
    running = InProcessSystem.start(load_settings())
    yield running
    running.close()


def _files_holding(folder: Path, needles: tuple[bytes, ...]) -> list[str]:
    return sorted(
        f"{path.name}: {needle.decode()}"
        for path in folder.iterdir()
        if path.is_file()
        for needle in needles
        if needle in path.read_bytes()
    )


def test_erasure_leaves_nothing_in_the_sqlite_files_or_the_local_outbox(
    embedded_storage_system, tmp_path
):
    """Rows are not enough: SQLite keeps earlier page versions in its write-ahead log (and
    deleted bytes in free space), and the embedded channels keep every message sent."""
    system = embedded_storage_system
    api = PlatformApi(InProcessTransport(system.apps), PLATFORM_TOKEN)
    organisation, token = api.new_tenant()
    coach_id = organisation["admin"]["id"]
    client = api.onboarded_client(
        token, coach_id, given_name="Quillon", family_name="Vantablack",
        preferred_name=None, email="quillon.v@example.net",
    )  # fmt: skip
    api.onboarded_client(
        token, coach_id, given_name="Morgan", family_name="Hale", preferred_name=None,
        email="m.hale@example.net", phone=None, consent={"email": True, "sms": False},
    )  # fmt: skip
    system.settle()
    needles = (b"Quillon", b"Vantablack", b"quillon.v@example.net", b"412345678")
    databases, outbox = tmp_path / "databases", system.settings.var_dir / "outbox"
    # Before: the welcome emails are in the outbox, the details in the database files.
    assert len(list(outbox.glob(f"{client['id']}.*.eml"))) == 1
    assert _files_holding(outbox, needles) and _files_holding(databases, needles)

    assert api.call("intake", "DELETE", f"/v1/clients/{client['id']}", token).status == 204
    system.settle()

    assert _files_holding(outbox, needles) == []
    assert _files_holding(databases, needles) == []
    # The other client's welcome stays where it was.
    assert _files_holding(outbox, (b"m.hale@example.net",))
