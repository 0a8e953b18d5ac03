"""A kind's own content, computed when the nudge goes: the per-kind hook.

Most kinds say what their event said (the nudge's variables, fixed when it was
scheduled). A kind whose message depends on the moment it goes registers a hook here: the
dispatcher reads the hook's facts for the whole claimed batch at once (``gather``, inside
the claim's transaction, one query per table), then asks it for each nudge's variables
(``variables``, pure); ``None`` means there is nothing to say, and the nudge is skipped
(``nothing_to_say``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from services.notifications.digest.content import WEEKLY_DIGEST_CONTENT
from services.notifications.digest.recurring_nudges import DIGEST
from services.notifications.models import Nudge


class KindContent(Protocol):
    def gather(
        self, session: Session, nudges: list[Nudge], timezones: dict[tuple, str], now: datetime
    ) -> Mapping[uuid.UUID, Any]: ...

    def variables(
        self, nudge: Nudge, gathered: Any, timezone: str, locale: str = "en"
    ) -> dict | None: ...


CONTENT_HOOKS: dict[str, KindContent] = {DIGEST: WEEKLY_DIGEST_CONTENT}


def gather_content(
    session: Session, nudges: list[Nudge], timezones: dict[tuple, str], now: datetime
) -> dict[uuid.UUID, Any]:
    """Each hooked nudge's facts, by nudge id: one ``gather`` per kind in the batch."""
    gathered: dict[uuid.UUID, Any] = {}
    for kind, hook in CONTENT_HOOKS.items():
        of_kind = [n for n in nudges if n.kind == kind]
        if of_kind:
            gathered.update(hook.gather(session, of_kind, timezones, now))
    return gathered


def has_content_hook(nudge: Nudge) -> bool:
    return nudge.kind in CONTENT_HOOKS


def content_of(
    nudge: Nudge, gathered: Mapping[uuid.UUID, Any], timezone: str, locale: str = "en"
) -> dict | None:
    """The variables a hooked nudge goes with (see :func:`has_content_hook`), its dates
    written in ``locale``."""
    return CONTENT_HOOKS[nudge.kind].variables(nudge, gathered[nudge.id], timezone, locale)
