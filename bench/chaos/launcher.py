"""``python -m bench.chaos.launcher ARGS...``: ``coaching ARGS...`` with crash points.

The fault suite runs every process through this launcher (under ``coaching.restarting``,
as an orchestrator would). It wraps a few production methods, here and never in the
services' own code, so that the process SIGKILLs itself at one exact moment, once, when
the suite asks: the suite creates a file named ``<role>.<point>`` in ``CHAOS_ARM_DIR``
and the first process of that role to reach the point removes it and dies.

Points:
- ``relay.after-publish``: the broker confirmed a batch, the rows are not yet marked.
- ``worker.before-commit``: the batch's effects and inbox rows written, not committed.
- ``worker.after-commit``: the batch committed, its messages not yet acknowledged.
- ``dispatcher.after-send``: the SMTP server accepted an email, the outcome unrecorded.

The provider timeouts are shortened (``CHAOS_PROVIDER_TIMEOUT``) so a stalled provider
costs the suite seconds, not the production quarter of a minute.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def _role(argv: list[str]) -> str:
    command = argv[0]
    if command == "dispatcher":
        return "notifications-dispatcher"
    return f"{argv[1]}-{command}"


def _armed(role: str, point: str) -> bool:
    """True once for the first caller after the suite armed ``point``."""
    folder = os.environ.get("CHAOS_ARM_DIR")
    if not folder:
        return False
    try:
        (Path(folder) / f"{role}.{point}").unlink()
    except FileNotFoundError:
        return False
    return True


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install(role: str) -> None:
    from services.notifications.channels import email, sms
    from shared.messaging.consumer import InboxProcessor
    from shared.messaging.publisher import ConfirmingPublisher

    timeout = float(os.environ.get("CHAOS_PROVIDER_TIMEOUT", "3"))
    email.SMTP_TIMEOUT_SECONDS = timeout
    sms.SMS_TIMEOUT_SECONDS = timeout

    publish_batch = ConfirmingPublisher.publish_batch

    def publish_then_maybe_die(self, messages):
        outcomes = publish_batch(self, messages)
        if role.endswith("-relay") and messages and _armed(role, "after-publish"):
            _die()
        return outcomes

    ConfirmingPublisher.publish_batch = publish_then_maybe_die

    record_in_inbox = InboxProcessor._record_in_inbox

    def record_then_maybe_die(self, uow, envelopes):
        new = record_in_inbox(self, uow, envelopes)
        if new and _armed(role, "before-commit"):
            _die()
        return new

    InboxProcessor._record_in_inbox = record_then_maybe_die

    process_batch = InboxProcessor.process_batch

    def commit_then_maybe_die(self, messages):
        outcomes = process_batch(self, messages)
        if _armed(role, "after-commit"):
            _die()
        return outcomes

    InboxProcessor.process_batch = commit_then_maybe_die

    send = email.SmtpEmailChannel.send

    def send_then_maybe_die(self, message):
        provider_id = send(self, message)
        if _armed(role, "after-send"):
            _die()
        return provider_id

    email.SmtpEmailChannel.send = send_then_maybe_die


def main() -> None:
    argv = sys.argv[1:]
    install(_role(argv))
    from coaching.cli import main as coaching

    coaching(argv)


if __name__ == "__main__":
    main()
