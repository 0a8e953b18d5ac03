"""A second provider for a channel: when the first fails, the message goes by the next.

A transient failure (SMTP 4xx or a dropped or refused connection, HTTP 5xx, a timeout)
sends the same message, with the same Message-ID, through the next provider at once, so a
provider outage delays nothing. A provider that failed is passed over for
:data:`REST_SECONDS` so that a dead one costs one failed attempt, not one per message;
after that it is tried first again. A permanent failure (a hard bounce, an invalid
number) is the message's, not the provider's: no other provider is tried. Only when every
provider fails is the failure the dispatcher's to retry later.

A timeout can leave a message delivered by a provider that did not say so: sending it
again through the next one may deliver it twice (the same Message-ID lets mail clients
fold the copies). Losing it is the worse failure.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from services.notifications.channels.base import (
    Channel,
    OutgoingMessage,
    TransientDeliveryError,
)

log = logging.getLogger(__name__)

REST_SECONDS = 30.0


class FailoverChannel:
    """Several providers of one channel, tried in order."""

    def __init__(
        self,
        name: str,
        providers: Sequence[Channel],
        *,
        rest_seconds: float = REST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not providers:
            raise ValueError("a channel needs at least one provider")
        self.name = name
        self.providers = list(providers)
        self.rest_seconds = rest_seconds
        self.clock = clock
        self._resting_until = [0.0] * len(self.providers)
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> str:
        failures = []
        for index in self._order():
            provider = self.providers[index]
            try:
                provider_id = provider.send(message)
            except TransientDeliveryError as exc:
                self._rest(index)
                failures.append(f"provider {index + 1}: {exc}")
                log.warning(
                    "provider failed; trying the next",
                    extra={"channel": self.name, "provider": index + 1, "error": str(exc)[:200]},
                )
                continue
            return provider_id
        raise TransientDeliveryError("; ".join(failures))

    def close(self) -> None:
        for provider in self.providers:
            close = getattr(provider, "close", None)
            if close is not None:
                close()

    def _order(self) -> list[int]:
        """Providers not resting first, in their order; resting ones last (a message is
        never refused only because every provider failed a moment ago)."""
        now = self.clock()
        with self._lock:
            awake = [i for i, until in enumerate(self._resting_until) if until <= now]
        return awake + [i for i in range(len(self.providers)) if i not in awake]

    def _rest(self, index: int) -> None:
        with self._lock:
            self._resting_until[index] = self.clock() + self.rest_seconds
