"""A relay that dies by SIGKILL right after the broker confirmed ``client.onboarded`` and
before the relay marked it published: the worst moment for the outbox (e2e tests)."""

import os
import signal
import sys
import threading

from coaching.registry import load_settings, service
from shared.messaging.publisher import ConfirmingPublisher

_publish_batch = ConfirmingPublisher.publish_batch


def _publish_batch_then_die(self, messages):
    outcomes = _publish_batch(self, messages)
    if any(m.routing_key == "client.onboarded" for m in messages):
        os.kill(os.getpid(), signal.SIGKILL)
    return outcomes


if __name__ == "__main__":
    ConfirmingPublisher.publish_batch = _publish_batch_then_die
    runtime = service(sys.argv[1]).build_runtime(load_settings())
    runtime.relay().run_forever(threading.Event())
