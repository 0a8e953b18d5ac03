"""``coaching``: start any process of any service, or the whole system (``coaching run``).

coaching run                          every process of the three services (make run)
coaching sms --from NUMBER [--to NUMBER] TEXT
                                      text the running platform as a client would (signed)
coaching migrate [SERVICE ...]        create or upgrade databases
coaching await-schema SERVICE         wait until a database serves this release (init containers)
coaching alive PROCESS SERVICE        whether a worker's (relay's...) loop still turns (probes)
coaching PROCESS SERVICE              one process: api, worker, relay (every service),
                                      scheduler (plans), dispatcher (notifications)
coaching topology                     declare exchanges and queues
coaching housekeeping [SERVICE ...]   delete expired idempotency keys, old outbox/inbox rows
coaching deadletters list|show|replay SERVICE [--id MESSAGE_ID | --all]
"""

from __future__ import annotations

import argparse
import os
import sys

from coaching import alive
from coaching.registry import load_settings
from shared.config import EMBEDDED, Settings


def _add_process_commands(sub) -> None:
    """``coaching PROCESS SERVICE`` for every process type the services declare; the
    service may be left out where only one service runs that type (``coaching
    dispatcher``)."""
    from coaching import registry

    for kind, services in registry.process_types().items():
        names = [each.name for each in services]
        parser = sub.add_parser(kind, help=services[0].process_type(kind).summary)
        if len(names) == 1:
            parser.add_argument("service", nargs="?", choices=names, default=names[0])
        else:
            parser.add_argument("service", choices=names)
        for each in services:
            add_arguments = each.process_type(kind).add_arguments
            if add_arguments is not None:
                add_arguments(parser)
                break


def _parser() -> argparse.ArgumentParser:
    from coaching import registry, sms

    names = list(registry.SERVICES)
    parser = argparse.ArgumentParser(
        prog="coaching", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every process (the embedded default unless configured)")
    sms.add_arguments(
        sub.add_parser("sms", help="text the running platform as a client would, signed")
    )
    migrate = sub.add_parser("migrate")
    migrate.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(names))
    sub.add_parser("topology")
    alive.add_arguments(
        sub.add_parser("alive", help="exit 0 if a process's loop turned lately (liveness probes)")
    )
    await_schema = sub.add_parser(
        "await-schema", help="wait until a service's database is migrated (exit 1 on timeout)"
    )
    await_schema.add_argument("service", choices=names)
    await_schema.add_argument("--timeout", type=float, default=300.0)
    housekeeping = sub.add_parser(
        "housekeeping", help="delete expired idempotency keys and old outbox and inbox rows"
    )
    housekeeping.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(names))
    _add_process_commands(sub)
    dead = sub.add_parser("deadletters", help="list, show or replay dead-lettered messages")
    dead.add_argument("action", choices=("list", "show", "replay"))
    dead.add_argument("service", choices=names)
    dead.add_argument("--id", dest="message_id")
    dead.add_argument("--all", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["alive"]:
        # A probe, every half minute in every pod: spared the import of every service.
        sys.exit(alive.main(argv[1:]))
    parser = _parser()
    args = parser.parse_args(argv)
    from coaching import registry

    if args.command in ("migrate", "housekeeping"):
        unknown = set(args.services) - set(registry.SERVICES)
        if unknown:
            parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    if args.command in ("run", "sms"):
        # The laptop's commands: what is not configured takes the embedded default, so
        # `coaching sms` signs with the key `coaching run` keeps in var/secrets.
        os.environ.setdefault("COACHING_MODE", EMBEDDED)
    try:
        settings = load_settings()
    except ValueError as exc:  # a missing or malformed setting: one line, no traceback
        sys.exit(f"coaching {args.command}: {exc}")
    _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> None:
    from coaching import registry
    from coaching.operations import cmd_await_schema, cmd_housekeeping, cmd_migrate, cmd_topology

    if args.command == "run":
        from coaching.supervisor import run_everything

        sys.exit(run_everything(settings))
    elif args.command == "sms":
        from coaching.sms import run as text_as_a_client

        sys.exit(text_as_a_client(settings, args))
    elif args.command == "migrate":
        sys.exit(cmd_migrate(settings, args.services))
    elif args.command == "housekeeping":
        cmd_housekeeping(settings, args.services)
    elif args.command == "topology":
        cmd_topology(settings)
    elif args.command == "await-schema":
        sys.exit(cmd_await_schema(settings, args.service, args.timeout))
    elif args.command == "deadletters":
        from shared.messaging.deadletters import run_command

        sys.exit(run_command(settings, args.action, args.service, args.message_id, args.all))
    else:
        service = registry.service(args.service)
        service.process_type(args.command).start(service, settings, args)


if __name__ == "__main__":
    main()
