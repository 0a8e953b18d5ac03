"""Who a request acts as, and where a staff member stands: plain values, no web code, so
a service's rules can take them (:mod:`shared.auth` reads them from tokens and requests;
:mod:`shared.db.staff_access` keeps the standing a service knows)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    staff_id: uuid.UUID
    tenant_id: uuid.UUID
    role: str


@dataclass(frozen=True)
class StaffStanding:
    """What a service knows now of a staff member, whatever their token says."""

    active: bool
    role: str
    # Tokens issued before this moment are refused (a key revoked, the member deactivated).
    tokens_valid_after: datetime | None
