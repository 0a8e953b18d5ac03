"""Drawing charts and reports: fairly between organisations, and once per state of
what is drawn.

Owns, per API process (each gunicorn worker has its own): the drawing slots
(``slots.py``: at most half of them for one organisation) and the drawings already made
(``cache.py``: kept by a fingerprint of what they show). The drawers themselves are
``charts.py`` (matplotlib) and ``report_rendering.py`` (Jinja2 and reportlab); the views
that ask for drawings are in ``report_api.py``.

Entry point: :func:`current_drawing` and :meth:`Drawing.output`.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from types import ModuleType

from flask import current_app

from services.plans.reports.drawing.cache import DrawnCache, DrawnKey, fingerprint
from services.plans.reports.drawing.slots import DrawingBusy, OrganisationSlots

__all__ = ["Drawing", "DrawingBusy", "current_drawing"]

DRAWINGS_AT_ONCE = 2  # per process: with gunicorn's 4 threads, two stay free for the rest
SHARE_WAIT_SECONDS = 2.0  # an organisation at its share waits this long for its own slot
BUSY_WAIT_SECONDS = 10.0  # a request within its share waits this long for any slot
KEPT_DRAWINGS = 64
KEPT_BYTES = 32 * 1024 * 1024
KEPT_SECONDS = 600.0

EXTENSION = "plans.drawing"


class Drawing:
    """The slots and the kept drawings of one API process, and how many it drew."""

    def __init__(self) -> None:
        self.slots = OrganisationSlots(DRAWINGS_AT_ONCE, SHARE_WAIT_SECONDS, BUSY_WAIT_SECONDS)
        self.kept = DrawnCache(KEPT_DRAWINGS, KEPT_BYTES, KEPT_SECONDS)
        self.drawn: Counter[str] = Counter()  # by kind: drawings actually made
        self._counting = threading.Lock()

    def output(
        self,
        key: DrawnKey,
        inputs: Mapping,
        draw: Callable[[ModuleType], bytes],
    ) -> bytes:
        """The drawing ``key`` names, made from ``inputs`` (everything it shows) by
        ``draw`` (given the rendering module, imported when first needed: matplotlib and
        reportlab are heavy), in one of the organisation's slots; or the one kept from
        the same inputs. Raises :class:`DrawingBusy` when no slot comes free in time."""
        version = fingerprint(inputs)
        kept = self.kept.get(key, version)
        if kept is not None:
            return kept
        with self.slots.slot(key.organisation):
            kept = self.kept.get(key, version)  # drawn while this request waited
            if kept is not None:
                return kept
            from services.plans.reports import rendering as report_rendering

            output = draw(report_rendering)
            with self._counting:
                self.drawn[key.kind] += 1
            self.kept.put(key, version, output)  # before the slot frees: a waiter finds it
        return output


def install(app) -> None:
    """Give ``app`` (one per process) its drawing slots and kept drawings."""
    app.extensions.setdefault(EXTENSION, Drawing())


def current_drawing() -> Drawing:
    return current_app.extensions[EXTENSION]


def key_for(organisation: uuid.UUID, plan_id: uuid.UUID, kind: str, *parameters) -> DrawnKey:
    return DrawnKey(organisation, plan_id, kind, tuple(parameters))
