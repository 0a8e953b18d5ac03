"""The nudges that recur at the client's own local time, and the plan facts they read.

Owns: the weekly digest (``weekly_digest``: when it goes, which local week it speaks of,
what it says; ``content``: its content hook, read for a whole batch when it goes), mood
prompts on the weekdays a plan sets (``recurring_nudges``: scheduling each recurring kind
and its next occurrence once one goes; ``recurring``: local weekdays and times across
daylight-saving changes), and what notifications knows of a client's plan
(``plan_projection``: steps, check-ins and goals from plans' events, which the digest and
the client's page read). Its tables are in ``models``.

Entry points: ``schedule_weekly_digest``, ``reschedule_pending_recurring``,
``schedule_following``, ``on_mood_prompts_set`` (``plan.mood_prompts_set``), and
``WEEKLY_DIGEST_CONTENT`` (the hook the dispatcher calls).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.notifications.digest.content import WEEKLY_DIGEST_CONTENT
    from services.notifications.digest.recurring_nudges import (
        on_mood_prompts_set,
        reschedule_pending_recurring,
        schedule_following,
        schedule_weekly_digest,
    )

__all__ = [
    "WEEKLY_DIGEST_CONTENT",
    "on_mood_prompts_set",
    "reschedule_pending_recurring",
    "schedule_following",
    "schedule_weekly_digest",
]


def __getattr__(name: str):
    # Loaded on first use, so that one module of the package imports without the rest.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.notifications.digest.content import WEEKLY_DIGEST_CONTENT
    from services.notifications.digest.recurring_nudges import (
        on_mood_prompts_set,
        reschedule_pending_recurring,
        schedule_following,
        schedule_weekly_digest,
    )

    return {
        "WEEKLY_DIGEST_CONTENT": WEEKLY_DIGEST_CONTENT,
        "on_mood_prompts_set": on_mood_prompts_set,
        "reschedule_pending_recurring": reschedule_pending_recurring,
        "schedule_following": schedule_following,
        "schedule_weekly_digest": schedule_weekly_digest,
    }[name]
