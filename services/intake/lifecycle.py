"""A client's status: referred -> assessed -> onboarded -> discharged, and nothing else."""

from __future__ import annotations

from shared.errors import Conflict

STATUSES = ("referred", "assessed", "onboarded", "discharged")

# A referral that goes no further can be discharged too; a discharged client is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "referred": frozenset({"assessed", "discharged"}),
    "assessed": frozenset({"onboarded", "discharged"}),
    "onboarded": frozenset({"discharged"}),
    "discharged": frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def require_move(current: str, target: str) -> None:
    """Refuse an illegal status change with a 409 naming both statuses."""
    if not can_move(current, target):
        raise Conflict(
            f"A client who is {current} cannot become {target}.",
            errors={"status": [f"Cannot move from {current} to {target}."]},
        )
