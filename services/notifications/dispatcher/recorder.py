"""The recorder: outcomes recorded on a thread of their own while the next messages go."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable

from services.notifications.dispatcher.outcomes import DeliveryOutcome

log = logging.getLogger(__name__)

RECORD_BACKLOG = 4
_FLUSH = object()  # "record what you have": the dispatcher is waiting


class OutcomeRecorder:
    """Records outcomes on its own thread while the next messages are on the wire.

    Sending (waiting on the mail server) and recording (waiting on the database's
    commit) then overlap instead of adding up, and outcomes that arrive while a commit is
    under way are recorded together in the next one. At most ``backlog`` outcomes may be
    sent-but-unrecorded at any moment (the sender waits for room), so a dispatcher killed
    mid-run leaves at most ``backlog`` of them plus the message on the wire on each
    session, to be sent again when their lease runs out, with the same ``Message-ID``. A recording that
    fails (the database restarting) is tried again with backoff; after that the lease
    expiry takes over.
    """

    def __init__(
        self,
        record: Callable[[list[DeliveryOutcome]], None],
        *,
        backlog: int = RECORD_BACKLOG,
        retry_delays: tuple[float, ...] = (0.1, 0.5, 1, 2, 5, 10),
        gather_seconds: float = 0.005,
    ):
        self._record = record
        self._retry_delays = retry_delays
        self._room = threading.BoundedSemaphore(backlog)
        self._group = max(backlog // 2, 1)
        self._gather_seconds = gather_seconds
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def put(self, outcome: DeliveryOutcome) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="outcome-recorder", daemon=True)
            self._thread.start()
        self._room.acquire()
        self._queue.put(outcome)

    def wait(self) -> None:
        """Block until every outcome handed over is recorded (or given up on)."""
        if self._thread is not None:
            self._queue.put(_FLUSH)  # record what is there now, without gathering more
        self._queue.join()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            taken = [self._queue.get()]  # wait for the first, then gather a group
            deadline = time.monotonic() + self._gather_seconds
            with contextlib.suppress(queue.Empty):
                while (
                    len(taken) < self._group and taken[-1] is not None and taken[-1] is not _FLUSH
                ):
                    taken.append(self._queue.get(timeout=max(deadline - time.monotonic(), 0)))
            with contextlib.suppress(queue.Empty):  # and whatever else is already there
                while True:
                    taken.append(self._queue.get_nowait())
            stopping = None in taken
            batch = [item for item in taken if isinstance(item, DeliveryOutcome)]
            try:
                if batch:
                    self._record_with_retries(batch)
            finally:
                for _ in batch:
                    self._room.release()
                for _ in taken:
                    self._queue.task_done()

    def _record_with_retries(self, batch: list[DeliveryOutcome]) -> None:
        for delay in (*self._retry_delays, None):
            try:
                self._record(batch)
                return
            except Exception:
                if delay is None:
                    log.exception(
                        "could not record delivery outcomes; their leases will expire",
                        extra={"nudge_ids": [str(o.delivery.nudge_id) for o in batch]},
                    )
                    return
                log.warning("recording delivery outcomes failed; retrying", exc_info=True)
                time.sleep(delay)
