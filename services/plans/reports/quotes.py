"""The participant's own words in the plan-review report: the journal entries the coach
chooses to quote (``PUT /v1/plans/{id}/report-notes``, ``quoted_entries``).

Only the coach's choice is quoted: the report never prints a client's reply on its own
initiative, so a crisis message's words appear only when the coach chose that entry.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.plans.models import JournalEntry, RecoveryPlan
from shared.errors import Unprocessable


def _entries(session: Session, plan: RecoveryPlan, ids) -> list[JournalEntry]:
    return list(
        session.scalars(
            select(JournalEntry).where(
                JournalEntry.id.in_(list(ids)),
                JournalEntry.tenant_id == plan.tenant_id,
                JournalEntry.plan_id == plan.id,
            )
        )
    )


def chosen(session: Session, plan: RecoveryPlan, ids: list[uuid.UUID]) -> list[str]:
    """The ids to keep, as stored; 422 naming ``quoted_entries`` for an id twice, or one
    that is not an entry with words in this plan's journal (another plan's, another
    organisation's and an unknown one are told apart from nothing)."""
    if len(set(ids)) != len(ids):
        raise _refused("Each journal entry may be quoted once.")
    found = {entry.id: entry for entry in _entries(session, plan, ids)}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise _refused(f"Not an entry of this plan's journal: {', '.join(map(str, unknown))}.")
    wordless = [i for i in ids if not found[i].text]
    if wordless:
        raise _refused(f"These entries have no words to quote: {', '.join(map(str, wordless))}.")
    return [str(i) for i in ids]


def _refused(reason: str) -> Unprocessable:
    return Unprocessable(
        "The quoted entries are not this plan's.", errors={"quoted_entries": [reason]}
    )


def quoted(session: Session, plan: RecoveryPlan, ids: list[str] | None) -> list[dict]:
    """The chosen entries still in the plan's journal, oldest first, with the day they
    were written (in the client's calendar) and their words."""
    if not ids:
        return []
    entries = _entries(session, plan, [uuid.UUID(i) for i in ids])
    return [
        {"id": entry.id, "at": entry.received_at, "channel": entry.channel, "text": entry.text}
        for entry in sorted(entries, key=lambda e: (e.received_at, str(e.id)))
        if entry.text
    ]
