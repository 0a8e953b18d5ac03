"""What every benchmark needs: fresh real infrastructure, settings, and a results table."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from coaching.registry import SERVICES, load_settings
from shared.config import Settings
from tests.support import infra

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Row:
    benchmark: str
    metric: str
    ours: float
    baseline: float | None = None
    target: str = ""
    unit: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline:
            return self.ours / self.baseline
        return None


@contextlib.contextmanager
def real_infrastructure(tmp: Path, **extra_env: str) -> Iterator[tuple[Settings, dict]]:
    """A fresh vhost and databases, set in the environment; dropped afterwards."""
    if not (infra.rabbitmq_available() and infra.postgres_available()):
        raise SystemExit("benchmarks need RabbitMQ and PostgreSQL on 127.0.0.1")
    vhost, broker_url = infra.create_vhost()
    databases = infra.create_databases(SERVICES)
    env = {
        "VAR_DIR": str(tmp / "var"),
        "BROKER_URL": broker_url,
        "JWT_SECRET": "bench-secret-0123456789abcdef0123456789",
        "PLATFORM_ADMIN_TOKEN": "bench-platform-token",
        "LOG_LEVEL": "WARNING",
        **{f"{s.upper()}_DATABASE_URL": url for s, url in databases.items()},
        **extra_env,
    }
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield load_settings(), env
    finally:
        os.environ.clear()
        os.environ.update(saved)
        infra.drop_databases(databases)
        infra.drop_vhost(vhost)


def migrated_runtime(service: str, settings: Settings):
    from coaching.registry import service as service_named

    runtime = service_named(service).build_runtime(settings)
    runtime.migrate()
    return runtime


class BusyCores:
    """How many of the machine's cores were busy (any process) while the block ran."""

    def __enter__(self) -> BusyCores:
        self._busy, self._started = _busy_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self._started
        self.cores = (_busy_seconds() - self._busy) / wall if wall > 0 else 0.0


def _busy_seconds() -> float:
    """CPU time spent on anything but idling, over all cores (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(values: list[float]) -> dict:
    return {
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def print_table(rows: list[Row]) -> None:
    header = f"{'benchmark':<12} {'metric':<34} {'ours':>12} {'baseline':>12} {'ratio':>7}  target"
    print(header)
    print("-" * len(header))
    for row in rows:
        baseline = f"{row.baseline:>12.1f}" if row.baseline is not None else f"{'-':>12}"
        ratio = f"{row.ratio:>6.2f}x" if row.ratio is not None else f"{'-':>7}"
        busy = ""
        if "busy_cores_1_process" in row.notes:
            n = row.notes
            busy = (
                f"  (busy cores: {n['busy_cores_1_process']} with 1, "
                f"{n['busy_cores_2_processes']} with 2, of {n['cores']}; "
                f"ceiling here {n['ceiling']}x)"
            )
        print(
            f"{row.benchmark:<12} {row.metric + ' (' + row.unit + ')':<34} "
            f"{row.ours:>12.1f} {baseline} {ratio}  {row.target}{busy}"
        )


def write_results(rows: list[Row]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"bench-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "when": stamp,
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "rows": [asdict(row) | {"ratio": row.ratio} for row in rows],
            },
            indent=2,
        )
    )
    return path
