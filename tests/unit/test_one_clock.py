"""One clock (ARCHITECTURE.md §5.9): no module reads the time on its own.

The host's time is read in one place, ``shared/clock.py`` (``system_clock``), which a
service's runtime holds as its clock (tests freeze it) and hands on: to its units of
work, engines (rows' ``created_at``...), relay, inbox, API. This check reads every module
of ``shared/``, ``services/`` and ``coaching/`` and fails on a call that reads the
wall clock (``datetime.now()``, ``utcnow()``, ``date.today()``, ``time.time()``...) or a
use of ``system_clock``, except where listed below with the reason. Monotonic timers
(durations, timeouts) are not the time of day and stay allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "services", "coaching")
WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}
# module -> why it may read the host's clock itself.
ALLOWED = {
    "shared/clock.py": "the one reading of the host's clock (system_clock)",
    "shared/runtime.py": "a service's clock is system_clock unless a test gives another",
    "shared/auth.py": (
        "a token's expiry is judged by the host's clock (as PyJWT judges it): tokens cross "
        "services whose clocks tests set apart; its issue time is the issuer's clock's"
    ),
    "shared/liveness.py": "a heartbeat file's age, against its mtime: the file system's clock",
    "services/notifications/channels/sms.py": (
        "a provider's Retry-After date is by the wall clock, whatever the service's clock"
    ),
}


def wall_clock_reads(source: str) -> list[int]:
    """Lines of ``source`` that read the host's clock."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = (
                owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            )
            if (owner_name, node.func.attr) in WALL_CLOCK_CALLS:
                found.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id in ("system_clock", "utcnow"):
            found.append(node.lineno)
        elif isinstance(node, ast.alias) and node.name in ("system_clock", "utcnow"):
            found.append(getattr(node, "lineno", 0))
    return sorted(set(found))


def test_no_module_reads_the_time_on_its_own():
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in ALLOWED:
                continue
            if lines := wall_clock_reads(path.read_text()):
                found[name] = lines
    assert found == {}, f"the time read outside the runtime's clock: {found}"


def test_every_allowance_is_still_needed():
    unneeded = [name for name in ALLOWED if not wall_clock_reads((ROOT / name).read_text())]
    assert unneeded == []


def test_the_check_finds_each_way_of_reading_the_time():
    for source in (
        "from datetime import UTC, datetime\nx = datetime.now(UTC)\n",
        "import datetime as dt\nx = dt.datetime.now(dt.UTC)\n",
        "import time\nstamp = time.time()\n",
        "from datetime import date\nday = date.today()\n",
        "from shared.clock import system_clock\nnow = system_clock()\n",
    ):
        assert wall_clock_reads(source), source


def test_the_check_leaves_monotonic_timers_and_the_runtime_clock_alone():
    for source in (
        "import time\ndeadline = time.monotonic() + 5\n",
        "now = uow.clock()\n",
        "now = runtime.now()\n",
        "import time\ntime.sleep(0.1)\n",
    ):
        assert wall_clock_reads(source) == [], source
