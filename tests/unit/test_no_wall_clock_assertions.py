"""No test asserts how long something took by the wall clock.

A timed assertion fails on a loaded machine (a CI run measured 4.0 s against ``< 3``)
and proves little on an idle one. Work that must be bounded is asserted by what bounds
it: the deadline's own report, the render budget's CPU time, a counter. This check reads
every module under ``tests/`` and fails on an ``assert`` that compares a difference of
wall-clock readings (``time.monotonic()``, ``perf_counter()``, ``time.time()``,
``datetime.now()``, ...), directly, through a name it was stored in, or through a helper
that returns one. Reading the clock for other reasons (a deadline to wait until, a
token's issue time, a figure printed for a human) stays allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
CLOCK_FUNCTIONS = {
    "monotonic",
    "monotonic_ns",
    "perf_counter",
    "perf_counter_ns",
    "time",
    "time_ns",
    "now",
    "utcnow",
}
CLOCK_OWNERS = {"time", "datetime", "dt"}
IMPORTED_CLOCKS = {"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time_ns"}


def _is_clock_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    if isinstance(function, ast.Attribute) and function.attr in CLOCK_FUNCTIONS:
        owner = function.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return owner_name in CLOCK_OWNERS
    return isinstance(function, ast.Name) and function.id in IMPORTED_CLOCKS


def _target_names(target: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(target) if isinstance(node, ast.Name)}


class _Taint:
    """Names holding a wall-clock reading (``instants``) or a difference of two
    (``durations``), and functions that return such a difference, in one module."""

    def __init__(self, tree: ast.Module):
        self.instants: set[str] = set()
        self.durations: set[str] = set()
        self.timing_functions: set[str] = set()
        assignments = [
            (node.targets if isinstance(node, ast.Assign) else [node.target], node.value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value
        ]
        functions = [
            node
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        changed = True
        while changed:  # to a fixed point: a name derived from a tainted name is tainted
            before = (len(self.instants), len(self.durations), len(self.timing_functions))
            for targets, value in assignments:
                names = set().union(*(_target_names(t) for t in targets))
                if self.has_duration(value):
                    self.durations |= names
                elif self._reads_clock(value):
                    self.instants |= names
            for function in functions:
                for node in ast.walk(function):
                    if (
                        isinstance(node, ast.Return)
                        and node.value
                        and self.has_duration(node.value)
                    ):
                        self.timing_functions.add(function.name)
            changed = before != (
                len(self.instants),
                len(self.durations),
                len(self.timing_functions),
            )

    def _reads_clock(self, node: ast.AST) -> bool:
        return any(
            _is_clock_call(n) or (isinstance(n, ast.Name) and n.id in self.instants)
            for n in ast.walk(node)
        )

    def has_duration(self, node: ast.AST) -> bool:
        for n in ast.walk(node):
            # Two readings apart: ``time.monotonic() - started``.
            if (
                isinstance(n, ast.BinOp)
                and isinstance(n.op, ast.Sub)
                and self._reads_clock(n.left)
                and self._reads_clock(n.right)
            ):
                return True
            if isinstance(n, ast.Name) and n.id in self.durations:
                return True
            if isinstance(n, ast.Call):
                callee = n.func
                name = (
                    callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                )
                if name in self.timing_functions:
                    return True
        return False


def wall_clock_assertions(source: str) -> list[int]:
    """Lines of ``source`` whose ``assert`` compares a wall-clock duration."""
    tree = ast.parse(source)
    taint = _Taint(tree)
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and taint.has_duration(node.test)
    )


def test_no_test_asserts_a_wall_clock_duration():
    found = {
        str(path.relative_to(TESTS.parent)): lines
        for path in sorted(TESTS.rglob("*.py"))
        if (lines := wall_clock_assertions(path.read_text()))
    }
    assert found == {}, f"timed assertions (assert what bounds the work instead): {found}"


@pytest.mark.parametrize(
    "source",
    [
        # Straight, as tests/unit/test_template_limits.py had it.
        "started = time.monotonic()\nrender()\nassert time.monotonic() - started < 3\n",
        # Through a helper that returns the elapsed time with the result.
        "def _render(source):\n"
        "    started = time.monotonic()\n"
        "    failure = run(source)\n"
        "    return failure, time.monotonic() - started\n"
        "def test():\n"
        "    failure, elapsed = _render('x')\n"
        "    assert 0.9 < elapsed < 3\n",
        # As tests/notifications/test_template_limits.py had it.
        "def _timed(n, method):\n"
        "    started = time.monotonic()\n"
        "    reply = n.call(method)\n"
        "    return reply, time.monotonic() - started\n"
        "def test(n):\n"
        "    saved, save_took = _timed(n, 'PUT')\n"
        "    assert save_took < 5 and saved.ok\n",
        "from time import perf_counter\nt0 = perf_counter()\nwork()\nassert perf_counter() - t0 < 1\n",
        "begun = datetime.now(UTC)\nwork()\nelapsed = (datetime.now(UTC) - begun).total_seconds()\n"
        "assert elapsed < 2\n",
        "start = time.time()\nwork()\ntook = time.time() - start\nassert took <= 0.5, took\n",
    ],
)
def test_the_check_finds_a_timed_assertion_in_each_of_its_forms(source):
    assert wall_clock_assertions(source)


@pytest.mark.parametrize(
    "source",
    [
        # A deadline to wait until (tests/support/waiting.py).
        "deadline = time.monotonic() + timeout\nwhile time.monotonic() < deadline:\n    pass\n",
        # A token checked at a moment of the test's choosing (tests/unit/test_auth.py).
        "assert verify_token(SECRET, token, at=time.time() + 59) == principal\n",
        # One reading, not a difference of two (tests/support/api.py).
        "hour = datetime.now(UTC).hour\noffset = 12 - hour\nassert zone_for(offset)\n",
        # A figure printed for a human, not asserted.
        "started = time.monotonic()\nwork()\nelapsed = time.monotonic() - started\n"
        "print(f'{elapsed:.1f}s')\nassert done()\n",
        # A test's own frozen clock.
        "clock.advance(seconds=31)\nassert (nudge.due_at - clock()).total_seconds() == 10\n",
    ],
)
def test_the_check_leaves_other_uses_of_the_clock_alone(source):
    assert wall_clock_assertions(source) == []
