"""The dispatcher counts what an operator pages on: nudges by outcome and reason, how late
they went, and the providers' errors."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_provider_error_then_a_send_is_counted_with_its_lateness(
    notifications_with_sms, httpserver
):
    n = notifications_with_sms
    httpserver.expect_ordered_request(SMS_PATH, method="POST").respond_with_json(
        {"code": 20500, "message": "Internal error"}, status=500
    )
    httpserver.expect_ordered_request(SMS_PATH, method="POST").respond_with_json(
        {"sid": "SM0001", "status": "queued"}, status=201
    )
    sent = dict(kind="welcome", channel="sms", state="sent", reason="none")
    retried = dict(kind="welcome", channel="sms", state="scheduled", reason="retrying")
    before = (
        _value("coaching_nudges_total", **sent),
        _value("coaching_nudges_total", **retried),
        _value("coaching_provider_errors_total", channel="sms", severity="transient"),
        _value("coaching_nudge_lateness_seconds_count", channel="sms"),
    )
    n.onboard(uuid.uuid4(), consent={"email": False, "sms": True})
    n.dispatch()
    after = (
        _value("coaching_nudges_total", **sent),
        _value("coaching_nudges_total", **retried),
        _value("coaching_provider_errors_total", channel="sms", severity="transient"),
        _value("coaching_nudge_lateness_seconds_count", channel="sms"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1, 1]


def test_a_nudge_held_back_is_counted_with_its_reason(notifications):
    n = notifications
    before = _held_back("no_consent")
    n.onboard(uuid.uuid4(), consent={"email": False, "sms": False})
    n.dispatch()
    assert _held_back("no_consent") == before + 1


def _held_back(reason: str) -> float:
    """Welcome nudges suppressed for ``reason``, on whatever channel they were meant for."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "coaching_nudges"
        for sample in family.samples
        if sample.name == "coaching_nudges_total"
        and sample.labels["kind"] == "welcome"
        and sample.labels["state"] == "suppressed"
        and sample.labels["reason"] == reason
    )
