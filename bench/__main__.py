"""`python -m bench [NAME ...] [--n N]`: run benchmarks, print one table, write JSON."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import burst, bus, growth, replies, scheduler, system
from bench.harness import print_table, write_results

BENCHMARKS = {
    "relay": (bus.bench_relay, 5000),
    "consumer": (bus.bench_consumer, 5000),
    "end-to-end": (system.bench_end_to_end, 30),  # seconds at 20 onboardings/s
    "api": (system.bench_api, 10),  # seconds of load per side
    "dispatcher": (system.bench_dispatcher, 1000),
    "scale-out": (system.bench_scale_out, 5000),
    "replies": (replies.bench_replies, 30),  # seconds at 10 mood replies/s
    "burst": (burst.bench_burst, 20000),
    "plans-scheduler": (scheduler.bench_plans_scheduler, 10000),
    "growth": (growth.bench_growth, 700),  # clients at 1x (100x: 70,000)
}


def main(argv: list[str] | None = None) -> list:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=", ".join(BENCHMARKS))
    parser.add_argument("--n", type=int, help="override the size of every benchmark")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    rows = []
    for name in args.names or list(BENCHMARKS):
        run, default_n = BENCHMARKS[name]
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            rows += run(Path(tmp), args.n or default_n)
    print_table(rows)
    print(f"\nfigures written to {write_results(rows)}")
    return rows


if __name__ == "__main__":
    main()
