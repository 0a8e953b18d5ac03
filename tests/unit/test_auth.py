"""Access tokens: signed, expiring, carrying tenant and role."""

from __future__ import annotations

import time
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


def test_a_token_already_accepted_is_refused_once_it_expires():
    principal = Principal(uuid.uuid4(), uuid.uuid4(), "coach")
    token = issue_token(SECRET, principal, 60)
    assert verify_token(SECRET, token) == principal
    assert verify_token(SECRET, token, at=time.time() + 59) == principal
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(SECRET, token, at=time.time() + 61)


def test_a_token_accepted_under_one_secret_is_refused_under_another():
    token = issue_token(SECRET, Principal(uuid.uuid4(), uuid.uuid4(), "coach"), 60)
    verify_token(SECRET, token)
    with pytest.raises(Unauthorized, match="invalid"):
        verify_token("another-secret-0123456789abcdef0123", token)


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
