"""The plans of the clients a batch of events is about, read once per batch.

The consumer handles events in batches in one transaction; the plans of every client a
batch names are read in one query before the handlers run (``with_prefetch``), and each
handler then finds its client's plans here, a plan drafted earlier in the same batch
included.
"""

from __future__ import annotations

from sqlalchemy import select

from services.plans import profiles
from services.plans.drafting import adopt_drafted
from services.plans.models import RecoveryPlan
from shared.db import UnitOfWork
from shared.db.batch_keys import among
from shared.events import Event


def _known_plans(uow: UnitOfWork) -> dict[tuple, list[RecoveryPlan]]:
    """The plans of each client this transaction has looked at, drafted ones included."""
    return uow.session.info.setdefault("plans_by_client", {})


def load_plans_of_clients(uow: UnitOfWork, events: list[Event]) -> None:
    """Read the plans of every client in a batch of events in one query.

    No autoflush here: the consumer handles events in batches, and letting the ORM write a
    whole batch's plans at commit (in a few multi-row INSERTs) is much cheaper than one
    round trip per event.
    """
    known = _known_plans(uow)
    # Not ``- known.keys()``: that hashes every key known, for each event of a batch.
    missing = {key for e in events if (key := (e.tenant_id, e.data.client_id)) not in known}
    if not missing:
        return
    for key in missing:
        known[key] = []
    stmt = select(RecoveryPlan).where(
        among(RecoveryPlan.tenant_id, {tenant for tenant, _ in missing}),
        among(RecoveryPlan.client_id, {client for _, client in missing}),
    )
    with uow.session.no_autoflush:
        for plan in uow.session.scalars(stmt):
            key = (plan.tenant_id, plan.client_id)
            if key in missing:
                known[key].append(plan)


def load_clients_and_plans(uow: UnitOfWork, events: list[Event]) -> None:
    """A batch's plans and client profiles, one query each."""
    load_plans_of_clients(uow, events)
    profiles.load_client_profiles(uow, events)


def plans_of_client(uow: UnitOfWork, event: Event) -> list[RecoveryPlan]:
    """The client's plans as ORM objects, a plan drafted earlier in this transaction too
    (so an update, discharge or erasure later in the same batch reaches it)."""
    load_plans_of_clients(uow, [event])
    key = (event.tenant_id, event.data.client_id)
    plans = _known_plans(uow)[key]
    adopt_drafted(uow, key, plans)
    return plans
