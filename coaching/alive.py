"""``coaching alive PROCESS SERVICE [--max-age SECONDS]``: exit 0 if that process's loop
turned within ``--max-age`` seconds, 1 otherwise (:mod:`shared.liveness`).

The liveness probe of every process but the API (Kubernetes runs it every half minute in
each pod), so it imports only what it reads: the settings, not the services.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_MAX_AGE_SECONDS = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("process", help="worker, relay, scheduler, dispatcher")
    parser.add_argument("service", help="intake, plans, notifications")
    parser.add_argument(
        "--max-age",
        type=float,
        default=DEFAULT_MAX_AGE_SECONDS,
        help=f"seconds since the last heartbeat (default {DEFAULT_MAX_AGE_SECONDS:g})",
    )


def main(argv: list[str]) -> int:
    from shared.config import load_settings
    from shared.liveness import heartbeat_file, seconds_since_beat

    parser = argparse.ArgumentParser(prog="coaching alive", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    name = f"{args.service}-{args.process}"
    try:
        var_dir = load_settings().var_dir
    except ValueError as exc:
        print(f"coaching alive: {exc}", file=sys.stderr)
        return 1
    age = seconds_since_beat(heartbeat_file(var_dir, name))
    if age is None:
        print(f"{name}: no heartbeat yet", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(
            f"{name}: last heartbeat {age:.0f} s ago (more than {args.max_age:g})", file=sys.stderr
        )
        return 1
    print(f"{name}: alive (last heartbeat {age:.1f} s ago)")
    return 0
