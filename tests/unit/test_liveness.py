"""A worker's, relay's, dispatcher's or scheduler's liveness: a heartbeat file its loop
renews while it turns, waiting out an unreachable broker included, read by
``coaching alive`` (the exec probe of the manifests and the compose healthcheck)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from coaching import alive
from coaching.registry import load_settings, service
from shared import liveness
from tests.support.waiting import wait_for

LONG_AGO = 600  # seconds: far past any --max-age


@pytest.fixture
def heartbeat(monkeypatch):
    """The process's heartbeat, put back as it was (off) after the test."""
    monkeypatch.setattr(liveness.HEARTBEAT, "path", None)
    return liveness.HEARTBEAT


def _made_stale(path) -> None:
    then = time.time() - LONG_AGO
    os.utime(path, (then, then))


def _fresh(path) -> bool:
    age = liveness.seconds_since_beat(path)
    return age is not None and age < LONG_AGO / 2


def test_coaching_alive_answers_from_the_age_of_the_heartbeat(tmp_path, monkeypatch, heartbeat):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    path = liveness.heartbeat_file(tmp_path, "intake-worker")
    assert alive.main(["worker", "intake"]) == 1  # none yet
    heartbeat.start(path)
    assert alive.main(["worker", "intake", "--max-age", "60"]) == 0
    _made_stale(path)
    assert alive.main(["worker", "intake", "--max-age", "60"]) == 1
    assert alive.main(["relay", "intake"]) == 1  # another process's heartbeat


def _running(loop, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=loop, args=(stop,), daemon=True)
    thread.start()
    return thread


def test_a_relay_renews_its_heartbeat_while_its_loop_turns(tmp_path, monkeypatch, heartbeat):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    runtime = service("intake").build_runtime(load_settings())
    runtime.migrate()
    path = liveness.heartbeat_file(tmp_path, "intake-relay")
    heartbeat.start(path)
    _made_stale(path)

    stop = threading.Event()
    thread = _running(runtime.relay().run_forever, stop)
    try:
        wait_for(lambda: _fresh(path), timeout=30, what="the relay's heartbeat")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_worker_waiting_for_an_unreachable_broker_is_alive_and_stops_when_told(
    tmp_path, monkeypatch, heartbeat
):
    """An outage is ridden out, not a reason to restart the worker; SIGTERM still stops
    it while it waits."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("BROKER_URL", "amqp://guest:guest@127.0.0.1:1//")
    runtime = service("intake").build_runtime(load_settings())
    runtime.migrate()
    worker = runtime.worker()
    path = liveness.heartbeat_file(tmp_path, "intake-worker")
    heartbeat.start(path)
    _made_stale(path)

    stop = threading.Event()
    thread = _running(worker.run_until, stop)
    try:
        wait_for(lambda: _fresh(path), timeout=30, what="the waiting worker's heartbeat")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_nothing_is_written_until_the_process_starts_its_heartbeat(heartbeat, tmp_path):
    liveness.beat()
    assert heartbeat.path is None
    assert not list(tmp_path.iterdir())
