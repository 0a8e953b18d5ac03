"""Where there is nothing to listen to (the embedded SQLite default), loops poll."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine

from shared.db.commit_wakeup import PollingWait, commit_wakeup


def test_an_embedded_database_gives_the_plain_poll():
    wait = commit_wakeup(create_engine("sqlite://"), "outbox")
    assert isinstance(wait, PollingWait)
    assert wait.listen() is False
    stopped = threading.Event()
    stopped.set()
    assert wait.wait(stopped, 3600.0) is False  # ends at once when the loop is stopping
