"""Liveness of the processes that are not web servers (workers, relays, the dispatcher,
the scheduler): a heartbeat file each renews while its loop turns, and ``coaching alive``
(the Kubernetes exec probe, the compose healthcheck) reads its age.

A loop that turns, even one waiting out a broker or database outage with back-off, is
alive: restarting it would not bring the broker back. A loop that stopped turning (a
deadlock, a call that never returns) stops renewing the file and is restarted.

Like the metrics in :mod:`shared.metrics`, the heartbeat is the process's own and is
renewed where the thing happens, with :func:`beat`; it writes nothing until the process
starts it (:meth:`Heartbeat.start`), so tests and in-process uses leave no file behind.
"""

from __future__ import annotations

import time
from pathlib import Path

# At most one write a second, however fast a loop turns (a worker's turns 50 times).
RENEW_EVERY_SECONDS = 1.0


def heartbeat_file(var_dir: Path, process: str) -> Path:
    """Where the process named ``process`` (``intake-worker``) keeps its heartbeat."""
    return var_dir / "heartbeats" / process


class Heartbeat:
    """A file whose modification time says when the process's loop last turned."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._renewed_at = float("-inf")

    def start(self, path: Path) -> None:
        """Keep the heartbeat in ``path`` from now on, starting with one beat."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._renew(time.monotonic())

    def beat(self) -> None:
        """The loop turned: renew the file (at most once a second)."""
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._renewed_at >= RENEW_EVERY_SECONDS:
            self._renew(now)

    def _renew(self, now: float) -> None:
        self.path.touch()  # creates it, or sets its modification time to now
        self._renewed_at = now


HEARTBEAT = Heartbeat()


def beat() -> None:
    """This process's loop turned (a no-op until the process started its heartbeat)."""
    HEARTBEAT.beat()


def seconds_since_beat(path: Path) -> float | None:
    """How long ago the heartbeat in ``path`` was renewed (None if there is none)."""
    try:
        return max(time.time() - path.stat().st_mtime, 0.0)
    except FileNotFoundError:
        return None
