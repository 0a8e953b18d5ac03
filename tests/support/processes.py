"""The system as real processes, as an operator runs it: one OS process per role."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from coaching.registry import SERVICES, process_table
from tests.support.smtp import free_port
from tests.support.waiting import wait_for

# Every process of the system, as the services declare them: name -> ``coaching`` args.
ROLES = {name: argv[argv.index("coaching") + 1 :] for name, argv in process_table().items()}


class ProcessSystem:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = dict(os.environ) | env | {"WEB_CONCURRENCY": "1", "WEB_THREADS": "4"}
        for service in SERVICES:
            self.env[f"{service.upper()}_PORT"] = str(free_port())
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def base_urls(self) -> dict[str, str]:
        return {s: f"http://127.0.0.1:{self.env[f'{s.upper()}_PORT']}" for s in SERVICES}

    def coaching(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "coaching", *args],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def prepare(self) -> ProcessSystem:
        self.coaching("migrate")
        self.coaching("topology")
        return self

    def start(self, *roles: str) -> ProcessSystem:
        for role in roles or ROLES:
            self.spawn(role, [sys.executable, "-m", "coaching", *ROLES[role]])
        for service in SERVICES:
            if f"{service}-api" in (roles or ROLES):
                wait_for(lambda s=service: self._healthy(s), timeout=30, what=f"{service} api")
        return self

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        process = subprocess.Popen(
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def _healthy(self, service: str) -> bool:
        try:
            return requests.get(self.base_urls[service] + "/healthz", timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        return process.returncode

    def stop_all(self, timeout: float = 15) -> None:
        """Stop every process, all at once: each is told first, then each awaited, so
        their graceful shutdowns overlap instead of adding up."""
        running = {name: self.processes.pop(name) for name in list(self.processes)}
        for process in running.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # it may just have exited
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running.values():
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )
