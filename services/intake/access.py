"""Organisations, staff and API keys: who may call the platform, as whom."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy.orm import Session

from services.intake.models import ApiKey, Organisation, StaffMember
from shared.auth import Principal
from shared.errors import Unauthorized

KEY_PREFIX = "rck"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key(session: Session, staff: StaffMember) -> str:
    """Create a key for ``staff``; the returned plain key is never stored."""
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(), tenant_id=staff.tenant_id, staff_id=staff.id, secret_digest=_digest(secret)
    )
    session.add(key)
    return f"{KEY_PREFIX}_{key.id.hex}_{secret}"


def create_organisation(session: Session, name: str, default_region: str, admin: dict):
    organisation = Organisation(id=uuid.uuid4(), name=name, default_region=default_region)
    session.add(organisation)
    session.flush()
    staff = StaffMember(
        id=uuid.uuid4(),
        tenant_id=organisation.id,
        name=admin["name"],
        email=admin["email"].lower(),
        role="org_admin",
    )
    session.add(staff)
    session.flush()
    return organisation, staff, new_api_key(session, staff)


def principal_for_api_key(session: Session, api_key: str) -> Principal:
    """Resolve an API key to its staff member; every failure looks the same to the caller."""
    invalid = Unauthorized("The API key is not valid.")
    prefix, _, rest = api_key.partition("_")
    key_hex, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not secret:
        raise invalid
    try:
        key_id = uuid.UUID(hex=key_hex)
    except ValueError:
        raise invalid from None
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        raise invalid
    if not hmac.compare_digest(key.secret_digest, _digest(secret)):
        raise invalid
    staff = session.get(StaffMember, key.staff_id)
    if staff is None or not staff.active:
        raise invalid
    return Principal(staff_id=staff.id, tenant_id=staff.tenant_id, role=staff.role)
