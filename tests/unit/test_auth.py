"""Access tokens: signed, expiring, carrying tenant and role."""

from __future__ import annotations

import uuid

import jwt
import pytest

from shared.auth import Principal, issue_token, verify_token
from shared.errors import Unauthorized

SECRET = "unit-test-secret-0123456789abcdef"


def test_token_round_trip_keeps_staff_tenant_and_role():
    principal = Principal(uuid.uuid4(), uuid.uuid4(), "coach")
    assert verify_token(SECRET, issue_token(SECRET, principal, 60)) == principal


def test_expired_token_is_refused():
    token = issue_token(SECRET, Principal(uuid.uuid4(), uuid.uuid4(), "coach"), -1)
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(SECRET, token)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "x", "tid": str(uuid.uuid4()), "role": "coach"},
        {"sub": str(uuid.uuid4()), "tid": str(uuid.uuid4()), "role": "superuser"},
        {"sub": str(uuid.uuid4()), "role": "coach"},
    ],
)
def test_tokens_with_bad_claims_are_refused(claims):
    token = jwt.encode(
        claims | {"exp": 4102444800, "iss": "coaching-intake"}, SECRET, algorithm="HS256"
    )
    with pytest.raises(Unauthorized):
        verify_token(SECRET, token)


def test_unsigned_token_is_refused():
    token = jwt.encode(
        {
            "sub": str(uuid.uuid4()),
            "tid": str(uuid.uuid4()),
            "role": "coach",
            "exp": 4102444800,
            "iss": "coaching-intake",
        },
        key=None,
        algorithm="none",
    )
    with pytest.raises(Unauthorized):
        verify_token(SECRET, token)
