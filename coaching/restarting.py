"""Run one process and start it again when it dies, as an orchestrator would.

``make run`` wraps every process in this, so a worker that crashes (a bug, an outage it
did not survive) comes back after a short pause instead of taking the whole system
down. A process that keeps dying (more than ``MAX_RESTARTS`` times a minute: a port in
use, a bad setting) is given up on, and then the supervisor stops everything, loudly.
Ctrl-C or SIGTERM stops the process and does not restart it.

Usage: ``python -m coaching.restarting NAME -- ARGV...``
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import deque

MAX_RESTARTS = 5
WINDOW_SECONDS = 60.0
MAX_PAUSE_SECONDS = 8.0


def keep_running(name: str, argv: list[str]) -> int:
    """Run ``argv`` until it exits cleanly or is stopped; return its last exit code."""
    stopping = threading.Event()
    child: subprocess.Popen | None = None

    def stop(signum, _frame):
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deaths: deque[float] = deque()
    while True:
        child = subprocess.Popen(argv)
        code = child.wait()
        if stopping.is_set() or code == 0:
            return code
        now = time.monotonic()
        deaths.append(now)
        while deaths and now - deaths[0] > WINDOW_SECONDS:
            deaths.popleft()
        if len(deaths) > MAX_RESTARTS:
            print(
                f"{name} died {len(deaths)} times within {WINDOW_SECONDS:.0f} s; giving up",
                file=sys.stderr,
                flush=True,
            )
            return code
        pause = min(0.5 * 2 ** (len(deaths) - 1), MAX_PAUSE_SECONDS)
        print(
            f"{name} exited with status {code}; starting it again in {pause:g} s",
            file=sys.stderr,
            flush=True,
        )
        if stopping.wait(pause):
            return code


def main() -> None:
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m coaching.restarting NAME -- ARGV...")
    sys.exit(keep_running(args[0], args[2:]))


if __name__ == "__main__":
    main()
