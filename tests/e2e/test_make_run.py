"""`make run` on the embedded default: the journey works over HTTP, Ctrl-C stops it all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import requests

from tests.support.api import HttpTransport, PlatformApi
from tests.support.smtp import free_port
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
CONFIGURED = (
    "BROKER_URL",
    "SMTP_URL",
    "JWT_SECRET",
    "PLATFORM_ADMIN_TOKEN",
    "INTAKE_DATABASE_URL",
    "PLANS_DATABASE_URL",
    "NOTIFICATIONS_DATABASE_URL",
)


def _processes_with(marker: str) -> list[int]:
    """PIDs whose environment carries ``marker`` (our unique VAR_DIR)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _processes_running(command: str, marker: str) -> list[int]:
    """PIDs of processes started by this run whose command line contains ``command``."""
    found = []
    for pid in _processes_with(marker):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if command in cmdline and "coaching.restarting" not in cmdline:
            found.append(pid)
    return found


def _metrics_of(port: str) -> str | None:
    try:
        reply = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    except requests.RequestException:
        return None
    return reply.text if reply.ok else None


def _free_ports_in_a_row(count: int) -> int:
    """A port such that it and the ``count - 1`` after it are free."""
    for _ in range(50):
        base = free_port()
        if base + count >= 65536:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError(f"no {count} free ports in a row")


def _readme_journey_works(api: PlatformApi, banner: str, var_dir: Path) -> None:
    """The README's journey, as a newcomer pastes it after the export line the banner
    printed: the ports and var/ of this run come from that line alone."""
    readme = (REPO / "README.md").read_text()
    journey = readme.split("## Try the journey", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    [exports] = re.findall(r"^  (export INTAKE_PORT=.*)$", banner, re.MULTILINE)
    assert f"VAR_DIR={var_dir}" in exports
    script = (
        "set -euo pipefail\n"
        + exports
        + "\n"
        + journey
        + 'echo "CLIENT_ID=$CLIENT_ID ACCESS=$ACCESS PLAN_ID=$PLAN_ID"\n'
    )
    # The newcomer's shell: none of this run's settings but what the export line gives.
    unset = (*CONFIGURED, "COACHING_MODE", "VAR_DIR", "SMS_AUTH_TOKEN", "PUBLIC_BASE_URL")
    shell = {k: v for k, v in os.environ.items() if not k.endswith("_PORT") and k not in unset}
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=90, cwd=REPO, env=shell
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "HTTP 200" in done.stdout  # coaching sms: the signed text was accepted
    kept = dict(part.split("=", 1) for part in done.stdout.strip().splitlines()[-1].split())
    plans = wait_for(
        lambda: api.plans_of(kept["ACCESS"], kept["CLIENT_ID"]), timeout=60, what="its plan"
    )
    assert plans[0]["client_id"] == kept["CLIENT_ID"]
    assert len(plans[0]["goals"]) == 1  # "Join a walking group"
    # The texted "7" reaches the plan's journal as the client's mood, and is answered.
    journal = wait_for(
        lambda: api.call(
            "plans", "GET", f"/v1/plans/{kept['PLAN_ID']}/journal", kept["ACCESS"]
        ).body["items"],
        timeout=60,
        what="the texted mood in the plan's journal",
    )
    assert [(entry["intent"], entry["rating"]) for entry in journal] == [("mood", 7)]
    answer = wait_for(
        lambda: list((var_dir / "outbox").glob(f"{kept['CLIENT_ID']}.*.sms.txt")),
        timeout=60,
        what="the answer to the text in var/outbox",
    )
    assert "noted 7/10" in answer[0].read_text()


def test_make_run_serves_the_journey_on_the_embedded_default_and_stops_cleanly(tmp_path):
    var_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in CONFIGURED + ("COACHING_MODE",)}
    ports = {s: free_port() for s in ("intake", "plans", "notifications")}
    env |= {f"{s.upper()}_PORT": str(p) for s, p in ports.items()}
    # Eight processes serve their metrics on METRICS_PORT: each on a port of its own.
    metrics_base = _free_ports_in_a_row(8)
    env |= {"VAR_DIR": str(var_dir), "WEB_CONCURRENCY": "1", "METRICS_PORT": str(metrics_base)}
    log = open(tmp_path / "make-run.log", "wb")  # noqa: SIM115
    make = subprocess.Popen(
        ["make", "run"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: b"Press Ctrl-C" in (tmp_path / "make-run.log").read_bytes(),
            timeout=120,
            what="the make run banner",
        )
        banner = (tmp_path / "make-run.log").read_text()
        for port in ports.values():
            assert f"http://127.0.0.1:{port}" in banner
        metrics = dict(re.findall(r"metrics of (\S+) +http://127\.0\.0\.1:(\d+)/metrics", banner))
        assert sorted(map(int, metrics.values())) == list(range(metrics_base, metrics_base + 8))
        assert not [name for name in metrics if name.endswith("-api")]
        for name, port in metrics.items():
            served = wait_for(
                lambda p=port: _metrics_of(p), timeout=30, what=f"the metrics of {name}"
            )
            assert "coaching_" in served, name
        # One line per service says where its database stands; Alembic says nothing more.
        for service in ("intake", "plans", "notifications"):
            assert re.search(rf"^{service}: database at revision \w+", banner, re.MULTILINE)
        assert "alembic" not in banner

        token = (var_dir / "secrets" / "platform_admin_token").read_text().strip()
        api = PlatformApi(
            HttpTransport({s: f"http://127.0.0.1:{p}" for s, p in ports.items()}), token
        )
        organisation, access = api.new_tenant()
        # Other phones than the README's client's: its text must have one record to go to.
        client = api.onboarded_client(access, organisation["admin"]["id"], phone="0412 000 001")

        plans = wait_for(
            lambda: api.plans_of(access, client["id"]), timeout=60, what="the draft plan"
        )
        assert len(plans[0]["goals"]) == 2
        emails = wait_for(
            lambda: list((var_dir / "outbox").glob("*.eml")),
            timeout=60,
            what="the welcome email in var/outbox",
        )
        assert len(emails) == 1
        assert "To: jo.rivers@example.net" in emails[0].read_text()
        wait_for(
            lambda: [n for n in api.nudges_of(access, client["id"]) if n["state"] == "sent"],
            what="the welcome listed as sent",
        )
        for port in ports.values():
            assert requests.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200

        # A worker that dies is started again; the others keep running and the next
        # client's welcome still goes out.
        [worker] = _processes_running("coaching worker notifications", f"VAR_DIR={var_dir}")
        os.kill(worker, signal.SIGKILL)
        wait_for(
            lambda: [
                pid
                for pid in _processes_running("coaching worker notifications", str(var_dir))
                if pid != worker
            ],
            timeout=30,
            what="the killed worker started again",
        )
        second = api.onboarded_client(
            access, organisation["admin"]["id"], email="sam@example.net", phone="0412 000 002"
        )
        wait_for(
            lambda: len(list((var_dir / "outbox").glob("*.eml"))) == 2,
            timeout=60,
            what="the second welcome after the restart",
        )
        assert make.poll() is None
        wait_for(lambda: api.plans_of(access, second["id"]), timeout=60, what="the second plan")
        _readme_journey_works(api, banner, var_dir)
    finally:
        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        make.wait(timeout=60)
        log.close()

    wait_for(
        lambda: not _processes_with(f"VAR_DIR={var_dir}"),
        timeout=30,
        what="every process started by make run to exit",
    )
