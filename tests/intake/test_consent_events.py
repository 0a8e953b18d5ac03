"""Consent follows the client's STOP / unsubscribe: intake consumes contact.opted_out and
contact.opted_in from notifications (handed to intake's inbox here; the journey in
``tests/integration/test_leaving_journey.py`` takes them through the broker)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select


def _publish_from_notifications(intake, event_type, tenant_id, data):
    """The event as notifications announces it, handed to intake's inbox (which must
    process it)."""
    intake.event(event_type, tenant_id, data)


def test_opt_out_by_sms_keyword_withdraws_consent_once_opt_in_restores_it_tenant_scoped(
    api, tenant, intake
):
    from services.intake.models import ConsentRecord

    token = tenant["token"]
    client = api.refer_client(token)  # consent email and sms
    tenant_id = tenant["organisation"]["organisation"]["id"]
    stop = {
        "client_id": client["id"],
        "channel": "sms",
        "method": "sms_keyword",
        "occurred_at": datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    }
    _publish_from_notifications(intake, "contact.opted_out", tenant_id, stop)

    consent = api.call("intake", "GET", f"/v1/clients/{client['id']}/consent", token).body
    assert consent["current"] == {"email": True, "sms": False}
    withdrawal = consent["records"][-1]
    assert (withdrawal["channel"], withdrawal["granted"], withdrawal["method"]) == (
        "sms",
        False,
        "sms_keyword",
    )
    assert withdrawal["recorded_by"] is None
    assert withdrawal["occurred_at"].startswith("2026-11-23T09:30")

    updated = intake.published("client.updated")
    assert [u["data"]["changed"] for u in updated] == [["consent"]]
    assert updated[0]["data"]["contact"]["consent"] == {"email": True, "sms": False}
    assert updated[0]["causation_id"] is not None

    trail = api.call("intake", "GET", f"/v1/clients/{client['id']}/audit", token).body["items"]
    assert ("consent_withdrawn", ["consent_sms"], None) in [
        (e["action"], e["fields"], e["actor_id"]) for e in trail
    ]

    # A second STOP (another event) records the fact but changes nothing and emits nothing.
    _publish_from_notifications(intake, "contact.opted_out", tenant_id, stop)
    assert len(intake.published("client.updated")) == 1

    _publish_from_notifications(
        intake, "contact.opted_in", tenant_id, stop | {"occurred_at": datetime.now(UTC)}
    )
    consent = api.call("intake", "GET", f"/v1/clients/{client['id']}/consent", token).body
    assert consent["current"] == {"email": True, "sms": True}
    with intake.runtime.session_factory() as session:
        sms_records = session.scalar(select(func.count()).where(ConsentRecord.channel == "sms"))
    assert sms_records == 4  # granted on the form, STOP, STOP again, START

    # The same client id under another organisation's tenant changes nothing.
    other_org, _ = api.new_tenant("Another Provider")
    _publish_from_notifications(
        intake,
        "contact.opted_out",
        other_org["organisation"]["id"],
        stop | {"channel": "email", "method": "email_unsubscribe"},
    )
    consent = api.call("intake", "GET", f"/v1/clients/{client['id']}/consent", token).body
    assert consent["current"] == {"email": True, "sms": True}
    assert len(intake.published("client.updated")) == 2
