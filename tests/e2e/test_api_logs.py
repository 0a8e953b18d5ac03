"""An API writes JSON lines, all of them, as the container runs it (`coaching api`, hence
gunicorn): gunicorn's own, one per request (method, route template, status, duration,
request id; no path, no query string, no personal data) and an error with its traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from tests.conftest import PLATFORM_TOKEN
from tests.support.api import HttpTransport, PlatformApi
from tests.support.infra import PG_ADMIN_DSN
from tests.support.smtp import free_port
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def intake_api(env, tmp_path):
    """`coaching api intake` on a port of its own; yields (base URL, its log file)."""
    port = free_port()
    log = tmp_path / "intake-api.log"
    process_env = dict(os.environ) | env
    process_env |= {
        "INTAKE_PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "coaching", "api", "intake"],
            cwd=tmp_path,
            env=process_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base + "/healthz"), timeout=60, what="the intake API")
        yield base, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def _renamed(database_url: str, table: str, to: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_DSN, dbname=name, autocommit=True) as connection:
        connection.execute(f'ALTER TABLE "{table}" RENAME TO "{to}"')


def test_every_line_an_api_writes_is_json_and_says_no_more_than_it_should(intake_api, env):
    base, log = intake_api
    api = PlatformApi(HttpTransport({"intake": base}), PLATFORM_TOKEN)
    _organisation, token = api.new_tenant()
    auth = {"Authorization": f"Bearer {token}"}

    missing = requests.get(f"{base}/v1/no-such-thing?email=jo.rivers@example.net", timeout=5)
    assert missing.status_code == 404
    refused = requests.post(f"{base}/v1/clients", json={"given_name": "Zebedee"}, timeout=5)
    assert refused.status_code == 401
    invalid = requests.post(
        f"{base}/v1/clients", json={"given_name": "Zebedee"}, headers=auth, timeout=5
    )
    assert invalid.status_code == 422
    # An error nobody expected: the clients table gone from under the API.
    client_id = str(uuid.uuid4())
    _renamed(env["INTAKE_DATABASE_URL"], "clients", "clients_elsewhere")
    try:
        failed = requests.get(f"{base}/v1/clients/{client_id}", headers=auth, timeout=5)
    finally:
        _renamed(env["INTAKE_DATABASE_URL"], "clients_elsewhere", "clients")
    assert failed.status_code == 500

    def written() -> list[dict]:
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        return [json.loads(line) for line in lines]  # every line, or this fails

    wait_for(
        lambda: [r for r in written() if r.get("status") == 500 and r["message"] == "request"],
        timeout=10,
        what="the request line of the 500",
    )
    records = written()
    assert {record["service"] for record in records} == {"intake-api"}
    gunicorn = " ".join(r["message"] for r in records if r["name"] == "gunicorn.error")
    assert "Starting gunicorn" in gunicorn and "Booting worker" in gunicorn

    requests_logged = {r["request_id"]: r for r in records if r["message"] == "request"}
    for reply, method, route in (
        (missing, "GET", "unmatched"),
        (refused, "POST", "/v1/clients"),
        (invalid, "POST", "/v1/clients"),
        (failed, "GET", "/v1/clients/<uuid:client_id>"),
    ):
        line = requests_logged[reply.headers["X-Request-ID"]]
        assert (line["method"], line["route"], line["status"]) == (
            method,
            route,
            reply.status_code,
        )
        assert isinstance(line["duration_ms"], int | float)

    [error] = [r for r in records if r["message"] == "unhandled error"]
    assert error["level"] == "ERROR" and error["route"] == "/v1/clients/<uuid:client_id>"
    assert "Traceback" in error["exc_info"] and "UndefinedTable" in error["exc_info"]

    text = log.read_text()
    for never in ("jo.rivers", "email=", "Zebedee", client_id, "no-such-thing"):
        assert never not in text, never
