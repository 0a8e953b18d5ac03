"""The rule intake and plans apply to ``contact.phone_confirmed``: only for the client's
current phone, never an older event over a newer one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.events.data import PhoneConfirmedV1
from shared.events.payloads import phone_confirmation_applies, phone_hash

TENANT = uuid.UUID("6bd4b936-1611-4e3a-b246-ea526bb468ab")
PHONE = "+61412345678"
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
CURRENT = phone_hash(TENANT, PHONE)


def _event(phone=PHONE, at=AT, tenant=TENANT) -> PhoneConfirmedV1:
    return PhoneConfirmedV1(
        client_id=uuid.uuid4(), confirmed=True, changed_at=at, phone_hash=phone_hash(tenant, phone)
    )


def test_a_first_confirmation_of_the_current_phone_applies():
    assert phone_confirmation_applies(_event(), CURRENT, None)


def test_a_confirmation_as_new_as_or_newer_than_the_last_applied_applies():
    assert phone_confirmation_applies(_event(at=AT), CURRENT, AT)
    assert phone_confirmation_applies(_event(at=AT + timedelta(seconds=1)), CURRENT, AT)


def test_an_older_confirmation_does_not_apply():
    assert not phone_confirmation_applies(_event(at=AT - timedelta(seconds=1)), CURRENT, AT)


def test_a_confirmation_of_another_number_or_of_a_client_without_one_does_not_apply():
    assert not phone_confirmation_applies(_event(phone="+61400111222"), CURRENT, None)
    assert not phone_confirmation_applies(_event(), None, None)


def test_the_digest_is_keyed_by_tenant():
    other_tenant = uuid.UUID("00000000-0000-4000-8000-000000000001")
    assert not phone_confirmation_applies(_event(tenant=other_tenant), CURRENT, None)
