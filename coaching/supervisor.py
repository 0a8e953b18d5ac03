"""``make run``: migrate, declare the topology, start every process, stop them together.

Process supervision is honcho's: each process gets its own group and Ctrl-C (or SIGTERM)
stops them all. Each process runs under :mod:`coaching.restarting`, which starts it again
if it dies; only one that keeps dying stops the others too, so nothing is left behind.

With ``METRICS_PORT`` set, each process that serves its metrics there (all but the APIs,
which serve theirs on their own port) gets a port of its own, ``METRICS_PORT`` plus its
place in the process table, listed in the banner: on one machine they cannot share one.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
import urllib.request

from honcho.manager import Manager
from honcho.printer import Printer

from coaching.operations import cmd_migrate, cmd_topology
from coaching.registry import SERVICES, process_table
from shared.config import Settings


def metrics_ports(settings: Settings, names: list[str]) -> dict[str, int]:
    """The ``METRICS_PORT`` of each process of ``names`` that serves its metrics there:
    the base port, then the next, in the order given. None without ``METRICS_PORT``."""
    if settings.metrics_port is None:
        return {}
    serving = [name for name in names if not name.endswith("-api")]
    return {name: settings.metrics_port + offset for offset, name in enumerate(serving)}


def journey_exports(settings: Settings) -> str:
    """The shell line the README's journey (and ``coaching sms``) starts from: the ports
    the APIs answer on and the folder of this run's files."""
    ports = " ".join(f"{service.upper()}_PORT={settings.ports[service]}" for service in SERVICES)
    return f"export {ports} VAR_DIR={shlex.quote(str(settings.var_dir))}"


def _banner(settings: Settings, metrics: dict[str, int]) -> str:
    lines = ["", "Recovery coaching platform is up:"]
    for service in SERVICES:
        base = f"http://127.0.0.1:{settings.ports[service]}"
        lines.append(f"  {service:<14} {base}   docs: {base}/docs")
    for name, port in metrics.items():
        lines.append(f"  metrics of {name:<25} http://{settings.metrics_host}:{port}/metrics")
    lines.append(
        f"  broker         {'embedded (var/bus)' if settings.embedded_broker else 'configured BROKER_URL'}"
    )
    if os.environ.get("PLATFORM_ADMIN_TOKEN"):
        lines.append("  platform token from PLATFORM_ADMIN_TOKEN")
    else:
        lines.append(
            f"  platform token {settings.platform_admin_token}  (development value, kept in var/secrets)"
        )
    if not settings.smtp_url:
        lines.append(f"  emails and SMS are written to {settings.var_dir / 'outbox'}")
    lines.append("For the README's journey and `coaching sms`, in another terminal:")
    lines.append(f"  {journey_exports(settings)}")
    lines.append("Press Ctrl-C to stop everything.\n")
    return "\n".join(lines)


def _announce_when_ready(settings: Settings, metrics: dict[str, int]) -> None:
    deadline = time.monotonic() + 60
    pending = set(SERVICES)
    while pending and time.monotonic() < deadline:
        for service in list(pending):
            try:
                url = f"http://127.0.0.1:{settings.ports[service]}/healthz"
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        pending.discard(service)
            except OSError:
                pass
        time.sleep(0.3)
    if pending:
        print(f"still waiting for: {', '.join(sorted(pending))}", flush=True)
    else:
        print(_banner(settings, metrics), flush=True)


def run_everything(settings: Settings) -> int:
    failed = cmd_migrate(settings, list(SERVICES))
    if failed:
        return failed
    cmd_topology(settings)
    metrics_root = settings.var_dir / "prometheus"
    manager = Manager(Printer(sys.stdout))
    table = process_table()
    metrics = metrics_ports(settings, list(table))
    for name, argv in table.items():
        env = dict(
            os.environ,
            VAR_DIR=str(settings.var_dir),
            PYTHONUNBUFFERED="1",
            COACHING_MODE=settings.mode,
        )
        if name in metrics:
            env["METRICS_PORT"] = str(metrics[name])
        if name.endswith("-api"):
            # One folder per API, made and emptied by the API itself at each start.
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_root / name)
        restarting = [sys.executable, "-m", "coaching.restarting", name, "--", *argv]
        manager.add_process(name, "exec " + shlex.join(restarting), env=env)
    threading.Thread(target=_announce_when_ready, args=(settings, metrics), daemon=True).start()
    manager.loop()
    return manager.returncode or 0
