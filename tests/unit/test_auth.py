"""Access tokens: signed, expiring, carrying tenant and role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth import (
    Principal,
    StaffStanding,
    StandingCache,
    admit,
    issue_token,
    verified_token,
    verify_token,
)
from shared.errors import Unauthorized

SECRET = "unit-test-secret-0123456789abcdef"
# Tokens are issued at a time given by the issuer's clock; their expiry is judged by the
# host's clock (PyJWT) and, each time, at ``at``.
NOW = datetime.now(UTC)
AT = NOW.timestamp()
# Long enough that a token made when the module was imported is still good when a loaded
# machine runs the test minutes later (PyJWT checks the expiry on the host's clock).
TTL = 3600


def test_token_round_trip_keeps_staff_tenant_and_role():
    principal = Principal(uuid.uuid4(), uuid.uuid4(), "coach")
    token = issue_token(SECRET, principal, TTL, issued_at=NOW)
    assert verify_token(SECRET, token, at=AT) == principal


def test_expired_token_is_refused():
    token = issue_token(SECRET, Principal(uuid.uuid4(), uuid.uuid4(), "coach"), -1, issued_at=NOW)
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(SECRET, token, at=AT)


def test_a_token_already_accepted_is_refused_once_it_expires():
    principal = Principal(uuid.uuid4(), uuid.uuid4(), "coach")
    token = issue_token(SECRET, principal, TTL, issued_at=NOW)
    assert verify_token(SECRET, token, at=AT) == principal
    assert verify_token(SECRET, token, at=AT + TTL - 1) == principal
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(SECRET, token, at=AT + TTL + 1)


def test_a_token_accepted_under_one_secret_is_refused_under_another():
    token = issue_token(SECRET, Principal(uuid.uuid4(), uuid.uuid4(), "coach"), TTL, issued_at=NOW)
    verify_token(SECRET, token, at=AT)
    with pytest.raises(Unauthorized, match="invalid"):
        verify_token("another-secret-0123456789abcdef0123", token, at=AT)


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
        verify_token(SECRET, token, at=AT)


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
        verify_token(SECRET, token, at=AT)


# -- a token's member as they stand now -----------------------------------------------------

ADMIN = Principal(uuid.uuid4(), uuid.uuid4(), "org_admin")


def _verified(principal=ADMIN, issued_at=NOW):
    return verified_token(SECRET, issue_token(SECRET, principal, TTL, issued_at=issued_at), at=AT)


def test_a_member_not_known_to_the_service_is_taken_at_the_token_word():
    assert admit(_verified(), None) == ADMIN


def test_a_deactivated_member_is_refused_whatever_the_token():
    with pytest.raises(Unauthorized, match="deactivated"):
        admit(_verified(), StaffStanding(active=False, role="org_admin", tokens_valid_after=None))


def test_a_demoted_admin_acts_with_the_role_they_have_now():
    principal = admit(_verified(), StaffStanding(True, "coach", None))
    assert principal.role == "coach" and principal.staff_id == ADMIN.staff_id


def test_a_token_issued_before_the_cut_off_is_refused_and_one_issued_after_it_works():
    cut_off = NOW
    standing = StaffStanding(True, "org_admin", cut_off)
    with pytest.raises(Unauthorized, match="revoked"):
        admit(_verified(issued_at=cut_off - timedelta(milliseconds=1)), standing)
    # Within the same second as the cut-off: iat keeps its fraction of a second.
    assert admit(_verified(issued_at=cut_off + timedelta(milliseconds=1)), standing) == ADMIN


def test_a_token_without_an_issue_time_is_refused_once_its_member_has_a_cut_off():
    token = jwt.encode(
        {
            "sub": str(ADMIN.staff_id),
            "tid": str(ADMIN.tenant_id),
            "role": "org_admin",
            "exp": 4102444800,
            "iss": "coaching-intake",
        },
        SECRET,
        algorithm="HS256",
    )
    verified = verified_token(SECRET, token, at=AT)
    assert admit(verified, StaffStanding(True, "org_admin", None)) == ADMIN
    with pytest.raises(Unauthorized, match="revoked"):
        admit(verified, StaffStanding(True, "org_admin", NOW))


class CountingLookup:
    def __init__(self):
        self.standing = StaffStanding(True, "org_admin", None)
        self.calls = 0

    def __call__(self, tenant_id, staff_id):
        self.calls += 1
        return self.standing


def test_reads_reuse_a_standing_for_a_moment_and_writes_always_look_again(monkeypatch):
    lookup = CountingLookup()
    cache = StandingCache(lookup, ttl_seconds=1.0)
    now = [100.0]
    monkeypatch.setattr("shared.auth.time.monotonic", lambda: now[0])

    assert cache.standing(ADMIN).role == "org_admin"
    lookup.standing = StaffStanding(True, "coach", None)
    assert cache.standing(ADMIN).role == "org_admin" and lookup.calls == 1
    assert cache.standing(ADMIN, fresh=True).role == "coach" and lookup.calls == 2

    lookup.standing = StaffStanding(False, "coach", None)
    now[0] += 1.0  # a read a second later sees the change
    assert cache.standing(ADMIN).active is False and lookup.calls == 3
