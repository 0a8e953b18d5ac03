"""Watching a loop's idle wait (``shared/db/commit_wakeup.py``) from a test."""

from __future__ import annotations

import threading

from shared.db.commit_wakeup import CommitWakeup

# A poll interval no test waits out: a loop that moves at all was woken by a commit.
AN_HOUR = 3600.0


class Watched:
    """A loop's wait, telling the test when the loop has started waiting."""

    def __init__(self, wakeup: CommitWakeup):
        self.wakeup = wakeup
        self.waiting = threading.Event()

    def listen(self) -> bool:
        return self.wakeup.listen()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.waiting.set()
        return self.wakeup.wait(stop, seconds)

    def close(self) -> None:
        self.wakeup.close()
