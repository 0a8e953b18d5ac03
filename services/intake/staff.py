"""Organisations, staff and API keys: who may call the platform, as whom."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from services.intake.models import ApiKey, Organisation, StaffMember
from services.intake.phones import normalise_phone
from shared.db import UnitOfWork
from shared.errors import Conflict, NotFound, Unauthorized
from shared.principals import Principal, StaffStanding

KEY_PREFIX = "rck"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key(session: Session, staff: StaffMember) -> tuple[ApiKey, str]:
    """Create a key for ``staff``; the returned plain key is never stored."""
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(), tenant_id=staff.tenant_id, staff_id=staff.id, secret_digest=_digest(secret)
    )
    session.add(key)
    session.flush()
    return key, f"{KEY_PREFIX}_{key.id.hex}_{secret}"


def create_organisation(uow: UnitOfWork, name: str, default_region: str, admin: dict):
    """A tenant and its first admin, announced with ``staff.created`` like any member."""
    session = uow.session
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
    _, api_key = new_api_key(session, staff)
    uow.publish(
        "staff.created", staff.tenant_id, staff_event(uow.session, staff), aggregate_id=staff.id
    )
    return organisation, staff, api_key


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


# -- staff ----------------------------------------------------------------------------------


def staff_event(session: Session, staff: StaffMember) -> dict:
    """The staff event payload; it names the organisation so messages can sign off with it."""
    organisation = session.get(Organisation, staff.tenant_id)
    return {
        "organisation_name": organisation.name if organisation else None,
        "staff_id": staff.id,
        "name": staff.name,
        "email": staff.email,
        "phone": staff.phone,
        "role": staff.role,
        "active": staff.active,
    }


def get_staff(session: Session, principal: Principal, staff_id: uuid.UUID) -> StaffMember:
    staff = session.scalar(
        select(StaffMember).where(
            StaffMember.id == staff_id, StaffMember.tenant_id == principal.tenant_id
        )
    )
    if staff is None:
        raise NotFound("No such staff member.")
    return staff


def _email_taken(session: Session, tenant_id: uuid.UUID, email: str) -> bool:
    return (
        session.scalar(
            select(StaffMember.id).where(
                StaffMember.tenant_id == tenant_id, StaffMember.email == email
            )
        )
        is not None
    )


def create_staff(uow: UnitOfWork, principal: Principal, fields: dict) -> tuple[StaffMember, str]:
    """Add a coach or admin with a first API key (returned once, in plain)."""
    session = uow.session
    email = fields["email"].strip().lower()
    if _email_taken(session, principal.tenant_id, email):
        raise Conflict(
            "A staff member with this email already exists.",
            errors={"email": ["Already used by a staff member of your organisation."]},
        )
    staff = StaffMember(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        name=fields["name"],
        email=email,
        phone=_phone(session, principal, fields.get("phone")),
        role=fields["role"],
    )
    session.add(staff)
    session.flush()
    _, api_key = new_api_key(session, staff)
    uow.publish(
        "staff.created", staff.tenant_id, staff_event(uow.session, staff), aggregate_id=staff.id
    )
    return staff, api_key


def _phone(session: Session, principal: Principal, raw: str | None) -> str | None:
    if not raw:
        return None
    return normalise_phone(raw, session.get(Organisation, principal.tenant_id).default_region)


def _active_admins(session: Session, tenant_id: uuid.UUID) -> int:
    return session.scalar(
        select(func.count()).where(
            StaffMember.tenant_id == tenant_id,
            StaffMember.role == "org_admin",
            StaffMember.active.is_(True),
        )
    )


def update_staff(
    uow: UnitOfWork, principal: Principal, staff: StaffMember, changes: dict
) -> StaffMember:
    """Rename, change role, (de)activate; emits ``staff.updated`` when anything changed."""
    session = uow.session
    if "phone" in changes:
        changes["phone"] = _phone(session, principal, changes["phone"])
    changed = [name for name, value in changes.items() if getattr(staff, name) != value]
    if not changed:
        return staff
    was_active_admin = staff.role == "org_admin" and staff.active
    for name in changed:
        setattr(staff, name, changes[name])
    session.flush()
    if was_active_admin and _active_admins(session, staff.tenant_id) == 0:
        raise Conflict(
            "An organisation needs at least one active org admin.",
            errors={name: ["Would leave no active org admin."] for name in changed},
        )
    if "active" in changed and not staff.active:
        _cut_off_tokens(uow, staff)
    uow.publish(
        "staff.updated", staff.tenant_id, staff_event(uow.session, staff), aggregate_id=staff.id
    )
    if {"role", "active"} & set(changed):
        _publish_access_changed(uow, staff)
    return staff


# -- who a token's member is now ------------------------------------------------------------


def _cut_off_tokens(uow: UnitOfWork, staff: StaffMember) -> None:
    """Every access token the member holds stops working; new ones are issued as usual."""
    staff.tokens_valid_after = uow.clock()


def _publish_access_changed(uow: UnitOfWork, staff: StaffMember) -> None:
    uow.publish(
        "staff.access_changed",
        staff.tenant_id,
        {
            "staff_id": staff.id,
            "role": staff.role,
            "active": staff.active,
            "tokens_valid_after": staff.tokens_valid_after,
        },
        aggregate_id=staff.id,
    )


_STANDING = select(StaffMember.active, StaffMember.role, StaffMember.tokens_valid_after).where(
    StaffMember.id == bindparam("staff_id"), StaffMember.tenant_id == bindparam("tenant_id")
)


def standing_of(
    connection: Connection, tenant_id: uuid.UUID, staff_id: uuid.UUID
) -> StaffStanding | None:
    """A member's standing, read on each authenticated request (by primary key)."""
    row = connection.execute(_STANDING, {"staff_id": staff_id, "tenant_id": tenant_id}).first()
    return StaffStanding(row.active, row.role, row.tokens_valid_after) if row else None


# -- API keys -------------------------------------------------------------------------------


def keys_of(session: Session, staff: StaffMember) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.staff_id == staff.id, ApiKey.tenant_id == staff.tenant_id)
            .order_by(ApiKey.created_at, ApiKey.id)
        )
    )


def get_key(session: Session, staff: StaffMember, key_id: uuid.UUID) -> ApiKey:
    key = session.scalar(
        select(ApiKey).where(
            ApiKey.id == key_id, ApiKey.staff_id == staff.id, ApiKey.tenant_id == staff.tenant_id
        )
    )
    if key is None:
        raise NotFound("No such API key.")
    return key


def revoke_key(uow: UnitOfWork, staff: StaffMember, key: ApiKey) -> ApiKey:
    """Revoke ``key``: it buys no new token, and the tokens it bought stop working (with
    the member's other tokens: a token does not say which key it came from)."""
    if key.revoked_at is None:
        key.revoked_at = uow.clock()
        staff.tokens_valid_after = key.revoked_at
        _publish_access_changed(uow, staff)
    return key


def rotate_key(uow: UnitOfWork, staff: StaffMember, key: ApiKey) -> tuple[ApiKey, str]:
    """Revoke ``key`` and issue its replacement in one transaction."""
    if key.revoked_at is not None:
        raise Conflict("This API key is already revoked.")
    revoke_key(uow, staff, key)
    return new_api_key(uow.session, staff)
