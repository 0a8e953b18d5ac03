"""Idempotency-Key: a retried POST replays the first answer and changes nothing."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.web.idempotency import ABANDONED_AFTER
from tests.conftest import BACKEND
from tests.integration.test_database_outage import refuse_connections

needs_postgresql = pytest.mark.skipif(
    not BACKEND.startswith("rabbitmq"), reason="makes PostgreSQL refuse connections"
)


def _clients(system) -> int:
    from services.intake.models import Client

    with system.runtimes["intake"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(Client))


BODY = {"given_name": "Kai", "family_name": "Moana", "timezone": "Pacific/Auckland"}


def test_same_key_and_body_replays_the_first_response(api, tenant, system):
    headers = {"Idempotency-Key": "referral-42"}
    first = api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    second = api.call(
        "intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=dict(headers)
    )
    assert first.status == second.status == 201
    assert second.body == first.body
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert _clients(system) == 1


def test_same_key_with_another_body_is_refused(api, tenant, system):
    headers = {"Idempotency-Key": "referral-43"}
    api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    other = api.call(
        "intake",
        "POST",
        "/v1/clients",
        tenant["token"],
        json=BODY | {"given_name": "Someone else"},
        headers=dict(headers),
    )
    assert other.status == 422
    assert "Idempotency-Key" in other.body["errors"]
    assert _clients(system) == 1


def test_keys_are_scoped_to_the_organisation(api, tenant, system):
    _, other_token = api.new_tenant("Another Provider")
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    theirs = api.call(
        "intake", "POST", "/v1/clients", other_token, json=BODY, headers=dict(headers)
    )
    assert mine.status == theirs.status == 201
    assert mine.body["id"] != theirs.body["id"]
    assert _clients(system) == 2


def test_a_refusal_is_replayed_too(api, tenant):
    client = api.refer_client(tenant["token"])
    headers = {"Idempotency-Key": "onboard-1"}
    path = f"/v1/clients/{client['id']}/onboard"
    body = {"coach_id": tenant["staff_id"]}
    first = api.call("intake", "POST", path, tenant["token"], json=body, headers=headers)
    api.assess(tenant["token"], client["id"])
    again = api.call("intake", "POST", path, tenant["token"], json=body, headers=dict(headers))
    assert first.status == again.status == 409
    assert again.body == first.body


def test_keys_are_scoped_to_the_caller_not_shared_with_colleagues(api, tenant, system):
    _, coach_token = api.add_staff(tenant["token"])
    headers = {"Idempotency-Key": "referral-1"}
    mine = api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)
    theirs = api.call(
        "intake", "POST", "/v1/clients", coach_token, json=BODY, headers=dict(headers)
    )
    assert mine.status == theirs.status == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.body["id"] != theirs.body["id"]
    assert _clients(system) == 2


def test_a_coach_replaying_an_admins_key_gets_no_answer_about_a_client_they_cannot_see(api, tenant):
    client = api.refer_client(tenant["token"])  # the admin's referral, no coach assigned
    _, coach_token = api.add_staff(tenant["token"])
    path = f"/v1/clients/{client['id']}/consent"
    body = {"channel": "sms", "granted": False, "method": "verbal"}
    headers = {"Idempotency-Key": "consent-1"}
    admins = api.call("intake", "POST", path, tenant["token"], json=body, headers=headers)
    assert admins.status == 200
    replay = api.call("intake", "POST", path, coach_token, json=body, headers=dict(headers))
    assert replay.status == 404
    assert "Idempotent-Replayed" not in replay.headers
    assert "records" not in (replay.body or {})


# A database outage in the middle of a keyed request (PostgreSQL refusing connections).


def _age_reservations(system, seconds: float) -> None:
    """As if ``seconds`` had passed since every key was reserved."""
    from services.intake.models import IdempotencyKey

    with system.runtimes["intake"].session_factory() as session:
        for record in session.scalars(select(IdempotencyKey)):
            record.created_at -= timedelta(seconds=seconds)
        session.commit()


@contextlib.contextmanager
def _during_referral(before=None, after_commit=None):
    """Run ``before()`` as the referral starts, ``after_commit()`` once it has committed."""
    from services.intake import clients

    refer = clients.refer_client

    def referring(uow, principal, body):
        if before:
            before()
        if after_commit:
            uow.after_commit(after_commit)
        return refer(uow, principal, body)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clients, "refer_client", referring)
        yield


def _refer(api, tenant, key: str):
    headers = {"Idempotency-Key": key}
    return api.call("intake", "POST", "/v1/clients", tenant["token"], json=BODY, headers=headers)


def _refer_as_the_database_goes_away(api, tenant, settings, key: str, *, when: str):
    """The referral, with PostgreSQL refusing connections from ``when`` on (``before`` it
    starts, or ``after_commit``) until it has answered."""
    url = settings.database_url("intake")
    try:
        with _during_referral(**{when: lambda: refuse_connections(url, refuse=True)}):
            return _refer(api, tenant, key)
    finally:
        refuse_connections(url, refuse=False)


@needs_postgresql
def test_a_key_an_outage_left_reserved_is_taken_over_by_a_retry_once_abandoned(
    api, tenant, system, settings
):
    first = _refer_as_the_database_goes_away(
        api, tenant, settings, "referral-in-an-outage", when="before"
    )
    assert first.status == 503  # and the key could not be released: the database was away

    soon = _refer(api, tenant, "referral-in-an-outage")
    assert soon.status == 409
    assert 1 <= int(soon.headers["Retry-After"]) <= 2

    _age_reservations(system, ABANDONED_AFTER.total_seconds() + 1)
    retried = _refer(api, tenant, "referral-in-an-outage")
    assert retried.status == 201
    assert _clients(system) == 1
    replayed = _refer(api, tenant, "referral-in-an-outage")
    assert replayed.body == retried.body
    assert replayed.headers["Idempotent-Replayed"] == "true"


def test_a_request_whose_key_was_taken_over_commits_nothing(api, tenant, system):
    # While the first request runs, a retry takes its key over (it looked abandoned).
    with _during_referral(before=lambda: _age_reservations(system, 3600)):
        slow = _refer(api, tenant, "slow-referral")
    assert slow.status == 409
    assert "took this request over" in slow.body["detail"]
    assert _clients(system) == 0


@needs_postgresql
def test_a_change_whose_answer_was_lost_is_never_carried_out_twice(api, tenant, system, settings):
    first = _refer_as_the_database_goes_away(
        api, tenant, settings, "referral-answer-lost", when="after_commit"
    )
    assert first.status == 503
    assert _clients(system) == 1

    _age_reservations(system, ABANDONED_AFTER.total_seconds() + 1)
    again = _refer(api, tenant, "referral-answer-lost")
    assert again.status == 409
    assert "Retry-After" not in again.headers  # retrying will not help: say so
    assert "carried out" in again.body["detail"]
    assert _clients(system) == 1
