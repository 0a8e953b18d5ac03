"""Drawing slots of one process, shared fairly between organisations.

matplotlib and reportlab are CPU-bound, so a process draws only a few charts or reports
at once. One organisation may hold at most half of those slots (and always leaves at
least one to the others), and may keep at most as many requests waiting as it may hold:
a burst from one organisation, however large its plans, queues behind itself and is
refused early, while another organisation's request still finds a free slot.

The timeouts are waits on a lock, measured with the monotonic clock of the process (as
``threading`` measures them), not times of the coaching domain.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class DrawingBusy(Exception):
    """No slot came free in time: all of them were taken, or (``over_share``) the
    organisation already held its share."""

    def __init__(self, over_share: bool):
        super().__init__("over share" if over_share else "all slots taken")
        self.over_share = over_share


class OrganisationSlots:
    """``total`` slots; an organisation holds at most ``share`` of them at once.

    A request waits up to ``share_wait`` seconds while its organisation holds its share
    (one of its own draws may finish quickly), and up to ``busy_wait`` seconds while
    every slot is taken by others; it is refused at once when its organisation already
    has ``share`` requests waiting.
    """

    def __init__(self, total: int, share_wait: float, busy_wait: float):
        if total < 2:
            raise ValueError("Fair sharing needs at least two slots.")
        self.total = total
        self.share = max(1, total // 2)  # half, and at least one left for the others
        self.share_wait = share_wait
        self.busy_wait = busy_wait
        self._held: Counter[uuid.UUID] = Counter()
        self._waiting: Counter[uuid.UUID] = Counter()
        self._changed = threading.Condition()

    @contextmanager
    def slot(self, organisation: uuid.UUID) -> Iterator[None]:
        """Hold one slot for ``organisation``, or raise :class:`DrawingBusy`."""
        self._take(organisation)
        try:
            yield
        finally:
            self._give_back(organisation)

    def held(self, organisation: uuid.UUID) -> int:
        with self._changed:
            return self._held[organisation]

    def waiting(self, organisation: uuid.UUID) -> int:
        with self._changed:
            return self._waiting[organisation]

    def in_use(self) -> int:
        with self._changed:
            return sum(self._held.values())

    def _over_share(self, organisation: uuid.UUID) -> bool:
        return self._held[organisation] >= self.share

    def _free_for(self, organisation: uuid.UUID) -> bool:
        return sum(self._held.values()) < self.total and not self._over_share(organisation)

    def _take(self, organisation: uuid.UUID) -> None:
        with self._changed:
            if not self._free_for(organisation):
                if self._waiting[organisation] >= self.share:
                    raise DrawingBusy(over_share=self._over_share(organisation))
                self._wait_for_slot(organisation)
            self._held[organisation] += 1

    def _wait_for_slot(self, organisation: uuid.UUID) -> None:
        started = time.monotonic()
        self._waiting[organisation] += 1
        try:
            while not self._free_for(organisation):
                over_share = self._over_share(organisation)
                limit = self.share_wait if over_share else self.busy_wait
                remaining = started + limit - time.monotonic()
                if remaining <= 0:
                    raise DrawingBusy(over_share=over_share)
                self._changed.wait(remaining)
        finally:
            self._waiting[organisation] -= 1
            if not self._waiting[organisation]:
                del self._waiting[organisation]

    def _give_back(self, organisation: uuid.UUID) -> None:
        with self._changed:
            self._held[organisation] -= 1
            if not self._held[organisation]:
                del self._held[organisation]
            self._changed.notify_all()
