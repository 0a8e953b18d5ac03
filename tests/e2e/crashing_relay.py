"""A relay that dies by SIGKILL right after publishing ``client.onboarded`` and before
marking it published: the worst moment for the outbox (used by the e2e tests)."""

import os
import signal
import sys

from shared.config import load_settings
from shared.messaging.relay import OutboxRelay
from shared.runtime import ServiceRuntime  # noqa: F401 - keeps the import graph explicit

_publish = OutboxRelay._publish


def _publish_then_die(self, row):
    _publish(self, row)
    if row.routing_key == "client.onboarded":
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    import importlib
    import threading

    OutboxRelay._publish = _publish_then_die
    service = sys.argv[1]
    runtime = importlib.import_module(f"services.{service}.bootstrap").build_runtime(
        load_settings()
    )
    runtime.relay().run_forever(threading.Event())
