"""What notifications keeps only for a while, beyond the outbox, inbox and idempotency
keys every service trims (``shared/db/housekeeping.py``), each after
``NUDGE_RETENTION_DAYS`` (90), and never sooner than a day past ``INBOX_RETENTION_DAYS``:

- **finished nudges** (sent, failed, or held back: suppressed, expired, cancelled,
  skipped), by due time, through ``ix_nudges_due`` (state, due time). A pending or
  sending nudge never goes. What was sent stays on the client's record in plans (its
  timeline); here a nudge is needed only for the day's cap (26 hours), a "done" replying
  to a reminder (24 hours), delivery receipts and the unique key that keeps a late copy of
  the event that made it from making it again (the inbox's retention: hence the floor);
- **inbound SMS ids** (``inbound_messages``, a provider's retries come within hours) and
  **recorded reply ids** (``client_replies``: a reply link lasts 14 days at most, and
  plans keys its journal entry by the same id), by the time received.

No table stores delivery attempts: a nudge counts its own (``attempts``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifications.contacts import PENDING_STATES
from services.notifications.models import Nudge
from services.notifications.replies.models import InboundMessage, ReceivedReply
from shared.config import Settings
from shared.db.housekeeping import Purge

# Every state a nudge does not leave again.
FINISHED_STATES = ("sent", "failed", "suppressed", "expired", "cancelled", "skipped")
assert not set(FINISHED_STATES) & {*PENDING_STATES, "sending"}


def kept_for(settings: Settings) -> timedelta:
    """How long finished nudges and reply ids are kept: the setting, but at least a day
    longer than the inbox remembers an event."""
    return max(
        timedelta(days=settings.nudge_retention_days),
        timedelta(days=settings.inbox_retention_days + 1),
    )


def purges(settings: Settings) -> list[Purge]:
    kept = kept_for(settings)

    def nudges(now: datetime):
        return Nudge.state.in_(FINISHED_STATES) & (Nudge.due_at < now - kept)

    return [
        Purge("nudges", Nudge, nudges),
        Purge(
            "inbound_messages", InboundMessage, lambda now: InboundMessage.received_at < now - kept
        ),
        Purge("client_replies", ReceivedReply, lambda now: ReceivedReply.received_at < now - kept),
    ]
