"""Which due nudges a dispatcher claims next: highest priority first, then the oldest.

A morning burst makes thousands of nudges due at one moment. Ordering every due row to
take a batch sorted them all on each claim (16 ms at 20,000 due, spilling to disk, while
sending waited). The claim now reads about as many index entries as it takes rows, from
``ix_nudges_pending`` (priority, due time; pending nudges only): one statement finds the
priority levels with a nudge due (a probe or two of the index per level), then each level
gives its oldest due nudges until the batch is full. Nudges whose lease ran out (their
dispatcher died mid-batch) are found by a second query among the few ``sending`` and
merged into the same order, so a batch is exactly what one ordered query would return.
Rows are locked ``FOR UPDATE SKIP LOCKED`` (PostgreSQL): several dispatchers never take
the same nudge.

A running dispatcher also claims ahead (:func:`claim_ahead`): while one full batch is
being sent, the next is claimed and its rules applied on another thread, so the claim's
transaction no longer stands between two batches on the wire.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, bindparam, select, text
from sqlalchemy.orm import Session

from services.notifications.contacts import PENDING_STATES
from services.notifications.models import Nudge
from shared import liveness
from shared.db.commit_wakeup import IdleWait, PollingWait
from shared.db.outage import LoopBackoff

log = logging.getLogger(__name__)

# A running dispatcher's threads (two sessions on the wire, the claim ahead, the
# recorder) mostly wait for replies, but a thread whose reply has come must win the GIL
# from one that is computing, which Python lets keep it for 5 ms by default: at up to
# 5 ms per SMTP reply and four replies a message, a computing thread made the sessions
# several times slower (a thread sending to a local SMTP server: 600-1,400 messages/s
# alone, 70-130 while another thread computed, 230-460 with 0.5 ms).
SWITCH_INTERVAL_SECONDS = 0.0005


def pending(alias: str = "nudges") -> str:
    """The partial index's predicate, on ``alias``: written out with the states as
    literals, as the index has it, so the planner can prove that a query matches the
    index (a bound parameter would hide that)."""
    return "{}.state IN ({})".format(alias, ", ".join(f"'{state}'" for state in PENDING_STATES))


# The priority levels that have a pending nudge due, highest first: a loose index scan
# (each step one probe for the next lower priority), then one probe per level for its
# oldest due time (a subquery per level: an EXISTS would be planned as a join over
# every pending row).
DUE_LEVELS = (
    text(
        f"""
        WITH RECURSIVE levels(priority) AS (
            SELECT max(n.priority) FROM nudges AS n WHERE {pending("n")}
            UNION ALL
            SELECT (SELECT max(n.priority) FROM nudges AS n
                    WHERE {pending("n")} AND n.priority < levels.priority)
            FROM levels WHERE levels.priority IS NOT NULL
        )
        SELECT levels.priority FROM levels
        WHERE levels.priority IS NOT NULL AND (
            SELECT min(n.due_at) FROM nudges AS n
            WHERE {pending("n")} AND n.priority = levels.priority
        ) <= :now
        ORDER BY levels.priority DESC
        """
    )
    .bindparams(bindparam("now", type_=Nudge.__table__.c.due_at.type))
    .columns(priority=Integer)
)
_PENDING = text(pending())


def claim_due(session: Session, now: datetime, limit: int, leases_at: datetime) -> list[Nudge]:
    """Up to ``limit`` nudges due at ``now`` or whose lease ran out by ``leases_at`` (the
    time on the leases' clock: the database's, see ``lease``), in claim order (priority,
    then due time), locked until ``session`` ends. Marking them is the caller's."""
    expired = list(
        session.scalars(
            select(Nudge)
            .where(Nudge.state == "sending", Nudge.claimed_until < leases_at)
            .order_by(Nudge.priority.desc(), Nudge.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    due: list[Nudge] = []
    for level in list(session.scalars(DUE_LEVELS, {"now": now})):
        due += session.scalars(
            select(Nudge)
            .where(_PENDING, Nudge.priority == level, Nudge.due_at <= now)
            .order_by(Nudge.due_at)
            .limit(limit - len(due))
            .with_for_update(skip_locked=True)
        )
        if len(due) >= limit:
            break
    if not expired:
        return due
    # Rare (a dispatcher died): the batch is the first ``limit`` of both in one order.
    # Any left over stay as they were, locked only until this claim commits.
    return sorted(expired + due, key=lambda n: (-n.priority, n.due_at))[:limit]


# PostgreSQL: a claimed batch's verdicts (sending under a lease, or held back and why), as
# the rules left its nudges, in one statement from one JSON document, instead of the
# session's flush, which compared every column of each nudge and wrote them in a
# statement per shape: a quarter of the claim's CPU. A hooked kind's variables (a digest's week,
# see kind_content) are written; the others go back as they were read (a NULL stays NULL).
KEEP_VERDICTS_ON_POSTGRESQL = text(
    """
    UPDATE nudges SET
        state = verdict.state, reason = verdict.reason, channel = verdict.channel,
        attempts = verdict.attempts,
        variables = coalesce(verdict.variables, nudges.variables),
        locale_used = coalesce(verdict.locale_used, nudges.locale_used),
        due_at = verdict.due_at, claimed_until = verdict.claimed_until, updated_at = :now
    FROM json_to_recordset(CAST(:verdicts AS json)) AS verdict(
        id uuid, state varchar, reason text, channel varchar, attempts integer,
        variables jsonb, locale_used varchar, due_at timestamptz, claimed_until timestamptz
    )
    WHERE nudges.id = verdict.id
    """
)


def keep_verdicts(session: Session, nudges: list[Nudge], now: datetime) -> None:
    """PostgreSQL: write the claimed ``nudges`` as they are now, in ``session``'s
    transaction, and take them out of the session, whose flush would write them again."""
    if not nudges:
        return
    for nudge in nudges:
        session.expunge(nudge)
    verdicts = [
        {
            "id": n.id,
            "state": n.state,
            "reason": n.reason,
            "channel": n.channel,
            "attempts": n.attempts,
            "variables": n.variables,
            "locale_used": n.locale_used,
            "due_at": n.due_at,
            "claimed_until": n.claimed_until,
        }
        for n in nudges
    ]
    # UUIDs and datetimes as str(): forms PostgreSQL reads back exactly.
    session.execute(
        KEEP_VERDICTS_ON_POSTGRESQL, {"verdicts": json.dumps(verdicts, default=str), "now": now}
    )


@dataclass
class Batch:
    """A claimed batch: how many nudges were claimed, the drafts of those going out, and
    their lease, renewed from the claim until every outcome is recorded (``lease`` is
    closed by whoever delivers the batch)."""

    claimed: int
    drafts: list = field(default_factory=list)
    lease: ExitStack = field(default_factory=ExitStack)


def claim_ahead(
    take: Callable[[], Batch],
    deliver: Callable[[Batch], None],
    stop: threading.Event,
    *,
    batch_size: int,
    poll_seconds: float,
    backoff: LoopBackoff,
    ahead: bool = True,
    idle_wait: IdleWait | None = None,
) -> None:
    """Take and deliver batches until ``stop`` is set. While a full batch is delivered
    (more is likely due), the next is taken on a thread of its own (unless ``ahead`` is
    false); a batch that was not full waits ``poll_seconds`` before the next claim, or
    less: ``idle_wait`` ends the wait at the commit of a new nudge (PostgreSQL ``NOTIFY``,
    :mod:`shared.db.commit_wakeup`), so a welcome is claimed as soon as it is written.

    What this changes: the next batch is claimed while this one's outcomes are still
    being recorded. Its rules count this batch's nudges towards the daily cap all the
    same (a nudge ``sending`` under a live lease counts as sent now), and each claimed
    batch holds its lease from the claim on, so a batch waiting its turn is never taken
    by another dispatcher. A dispatcher that dies leaves the batch it claimed ahead
    unsent: it is taken again when the lease runs out, with nothing sent twice. A nudge
    that falls due meanwhile, however urgent, waits for that batch too: a fraction of a
    second at full speed, which is why a dispatcher under a provider's rate (batches of
    up to a minute of sends, the rate setting the pace anyway) does not claim ahead.
    """
    idle_wait = idle_wait or PollingWait()
    with ThreadPoolExecutor(1, thread_name_prefix="claimer") as claimer:
        claimed_ahead: Future | None = None
        while not stop.is_set():
            liveness.beat()
            full = False
            try:
                if claimed_ahead is not None:
                    taking, claimed_ahead = claimed_ahead, None
                    batch = taking.result()
                else:
                    batch = take()
                full = batch.claimed >= batch_size
                if full and ahead:
                    claimed_ahead = claimer.submit(take)
                deliver(batch)
            except Exception as exc:
                stop.wait(backoff.failed(exc))
                continue
            backoff.succeeded()
            if not full:
                idle_wait.wait(stop, poll_seconds)
        if claimed_ahead is not None:  # claimed already: sent now, not left to its lease
            try:
                deliver(claimed_ahead.result())
            except Exception:
                log.exception("could not deliver the batch claimed ahead; its lease will expire")
