"""Who is who, for the caseload and the review report: the client's name and external
reference, the coach's and the organisation's names, kept from intake's events; and
whether the person with the client's phone has confirmed that the record is theirs, from
notifications' ``contact.phone_confirmed``.

Each row remembers the newest event applied (``as_of``, and for the phone's confirmation
``phone_confirmation_as_of``), so a late, older event changes nothing. Erasure deletes the
client's row, and a confirmation never makes one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select

from services.plans.models import ClientProfile, OrganisationProfile, StaffMember
from shared.db import UnitOfWork
from shared.db.batch_keys import among
from shared.events import Event
from shared.events.data import ABSENT, ClientOnboardedV1, ClientUpdatedV1, StaffV1
from shared.events.payloads import phone_confirmation_applies, phone_hash

CLIENT_PROFILES = ClientProfile.__table__
_PARTICIPANT = ("family_name", "external_reference")  # sent by newer producers only
_CONFIRMATION = ("phone_confirmed_at", "phone_confirmation_as_of")


def _cached(uow: UnitOfWork, model, key):
    """One row per key per transaction: the consumer handles batches without autoflush,
    so a row added earlier in the batch is found here rather than by a query."""
    cache = uow.session.info.setdefault(f"profiles:{model.__tablename__}", {})
    if key not in cache:
        with uow.session.no_autoflush:
            cache[key] = uow.session.get(model, key)
    return cache, cache[key]


def load_client_profiles(uow: UnitOfWork, events: list[Event]) -> None:
    """Read the profiles of every client in a batch of events in one query, where
    :func:`remember_client` would otherwise read them one round trip per event."""
    cache = uow.session.info.setdefault(f"profiles:{ClientProfile.__tablename__}", {})
    keys = {(e.tenant_id, _as_uuid(e.data.client_id)) for e in events}
    missing = {key for key in keys if key not in cache}
    if not missing:
        return
    for key in missing:
        cache[key] = None
    stmt = select(ClientProfile).where(
        among(ClientProfile.tenant_id, {tenant for tenant, _ in missing}),
        among(ClientProfile.client_id, {client for _, client in missing}),
    )
    with uow.session.no_autoflush:
        for profile in uow.session.scalars(stmt):
            key = (profile.tenant_id, profile.client_id)
            if key in missing:
                cache[key] = profile


def _as_uuid(value) -> uuid.UUID:
    """A payload's UUID field is a UUID already (parsing its text again cost more than the
    profile's other work)."""
    return value if type(value) is uuid.UUID else uuid.UUID(str(value))


def _newer(row, occurred_at: datetime) -> bool:
    return row is None or occurred_at >= row.as_of


def remember_client(uow: UnitOfWork, event: Event) -> None:
    """From ``client.onboarded`` or ``client.updated``: the names the contact carries, and
    the family name and external reference when the producer sends them.

    A new client's profile is written as a plain row at commit (``insert_later``), as
    drafting writes the plan: most come a hundred to a consumer batch, and an ORM object
    each cost a sixth of an onboarding's time."""
    data = event.data
    key = (event.tenant_id, _as_uuid(data.client_id))
    cache, profile = _cached(uow, ClientProfile, key)
    if isinstance(profile, dict):  # drafted earlier in this transaction: load it to change it
        profile = _adopt_drafted(uow, cache, key)
    if not _newer(profile, event.occurred_at):
        return
    names = _names_of(data)
    phone = _phone_hash_of(event)
    if profile is None:
        fields = dict.fromkeys(("given_name", "preferred_name", *_PARTICIPANT), None)
        row = {"tenant_id": key[0], "client_id": key[1]} | fields | names
        confirmed_at = _phone_confirmed_at(data)  # on client.onboarded, intake's view
        row |= {"phone_hash": phone} | dict.fromkeys(_CONFIRMATION, confirmed_at)
        uow.insert_later(CLIENT_PROFILES, row | {"as_of": event.occurred_at})
        cache[key] = row
        return
    for name, value in names.items():
        setattr(profile, name, value)
    if profile.phone_hash != phone:  # a new number (or none) is not confirmed yet
        profile.phone_hash, profile.phone_confirmed_at = phone, None
    if (confirmed_at := _phone_confirmed_at(data)) is not None:
        _confirmed_by_intake(profile, confirmed_at)
    profile.as_of = event.occurred_at


def _names_of(data: dict) -> dict:
    contact = data.contact
    names = {"given_name": contact.given_name, "preferred_name": contact.preferred_name}
    # Absent from an older producer's event: keep what we know.
    given = {name: getattr(data, name) for name in _PARTICIPANT}
    return names | {name: value for name, value in given.items() if value is not ABSENT}


def _phone_confirmed_at(data: ClientOnboardedV1 | ClientUpdatedV1) -> datetime | None:
    """Intake's confirmation of the phone, which only ``client.onboarded`` carries (and an
    older producer's leaves out)."""
    confirmed_at = getattr(data, "phone_confirmed_at", None)
    return None if confirmed_at is ABSENT else confirmed_at


def _phone_hash_of(event: Event) -> str | None:
    phone = event.data.contact.phone
    return phone_hash(event.tenant_id, phone) if phone else None


def _confirmed_by_intake(profile: ClientProfile, confirmed_at: datetime) -> None:
    """A re-onboarding, or a profile made by an earlier ``client.updated``: intake's
    confirmation of the phone the event names counts unless a newer change was applied."""
    as_of = profile.phone_confirmation_as_of
    if as_of is None or confirmed_at >= as_of:
        profile.phone_confirmed_at = profile.phone_confirmation_as_of = confirmed_at


def remember_phone_confirmation(uow: UnitOfWork, event: Event) -> None:
    """From ``contact.phone_confirmed``: whether the person with the client's phone has
    confirmed that the record is theirs. Only a client plans knows (one it has not heard
    of yet, or an erased one, gets no row); only for their current phone."""
    data = event.data
    key = (event.tenant_id, _as_uuid(data.client_id))
    cache, profile = _cached(uow, ClientProfile, key)
    if isinstance(profile, dict):
        profile = _adopt_drafted(uow, cache, key)
    if profile is None:
        return
    if not phone_confirmation_applies(data, profile.phone_hash, profile.phone_confirmation_as_of):
        return
    profile.phone_confirmed_at = data.changed_at if data.confirmed else None
    profile.phone_confirmation_as_of = data.changed_at


def _adopt_drafted(uow: UnitOfWork, cache: dict, key: tuple) -> ClientProfile:
    uow.write_inserts()
    with uow.session.no_autoflush:
        cache[key] = uow.session.get(ClientProfile, key)
    return cache[key]


def forget_client(uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID) -> None:
    cache = uow.session.info.get("profiles:client_profiles", {})
    if isinstance(cache.get((tenant_id, client_id)), dict):
        uow.write_inserts()  # a profile drafted in this transaction goes too
    uow.session.execute(
        delete(ClientProfile).where(
            ClientProfile.tenant_id == tenant_id, ClientProfile.client_id == client_id
        )
    )
    cache.pop((tenant_id, client_id), None)


def on_staff_changed(event: Event[StaffV1], uow: UnitOfWork) -> None:
    """``staff.created`` / ``staff.updated``: the member's name, and the organisation's."""
    data = event.data
    staff_id = uuid.UUID(str(data.staff_id))
    cache, member = _cached(uow, StaffMember, staff_id)
    if member is not None and member.tenant_id != event.tenant_id:
        return  # an id is never shared across tenants; ignore rather than cross them
    if _newer(member, event.occurred_at):
        if member is None:
            member = StaffMember(id=staff_id, tenant_id=event.tenant_id)
            uow.session.add(member)
            cache[staff_id] = member
        member.name = data.name
        member.as_of = event.occurred_at
    if data.organisation_name:
        _remember_organisation(uow, event, data.organisation_name)


def _remember_organisation(uow: UnitOfWork, event: Event, name: str) -> None:
    cache, organisation = _cached(uow, OrganisationProfile, event.tenant_id)
    if not _newer(organisation, event.occurred_at):
        return
    if organisation is None:
        organisation = OrganisationProfile(tenant_id=event.tenant_id)
        uow.session.add(organisation)
        cache[event.tenant_id] = organisation
    organisation.name = name
    organisation.as_of = event.occurred_at


def display_name(given: str | None, preferred: str | None, family: str | None) -> str | None:
    """How the coach calls the client: preferred (else given) name, then family name."""
    first = preferred or given
    return " ".join(part for part in (first, family) if part) or None
