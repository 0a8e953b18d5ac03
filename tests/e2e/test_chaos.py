"""The quick fault suite (``make chaos CHAOS_ARGS=--quick``) as one test: its own 3-node
RabbitMQ cluster with quorum queues, every process of the three services, a steady
stream of journeys and a subset of the faults; every journey's effects exactly once,
nothing stuck, no process that needed a human. A cluster that cannot start fails the
test: it is never skipped."""

from __future__ import annotations

import pytest

from bench.chaos import suite
from bench.chaos.faults import FAULTS


@pytest.mark.slow
@pytest.mark.long
def test_the_quick_fault_suite_loses_doubles_and_strands_nothing(capsys):
    results = suite.run(quick=True)

    assert [r.fault for r in results] == [f.name for f in FAULTS if f.quick]
    table = capsys.readouterr().out
    for result in results:
        assert result.journeys > 0, table
        assert (result.lost, result.duplicated, result.stuck, result.humans) == (0, 0, 0, 0), table
        assert result.recovery is not None, table
