"""Providers' send rates, kept by every dispatcher together.

A provider accepts so many messages a second (``EMAIL_RATE_PER_SECOND``, and
``SMS_RATE_PER_SECOND`` per sending number) and answers the rest with 429 or an SMTP 4xx.
Before each send a dispatcher reserves the next free slot of that rate and waits for it,
so a burst (every nudge deferred overnight falling due at 08:00) leaves at the provider's
pace instead of being refused.

On PostgreSQL the slots are one row per rate (``send_rates``), reserved by one atomic
``UPDATE .. RETURNING`` on the database's clock: every dispatcher, on any host, shares
the rate, and no two get the same slot. A slot is reserved for one message at a time, so
no dispatcher runs far ahead of the others. Elsewhere (SQLite, one dispatcher) the slots
are kept in the process. A provider that still says "slow down" (:meth:`hold_off`)
pushes the next slot past its ``Retry-After`` for everyone.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine

from shared.config import Settings

# On the database's clock, so dispatchers on hosts whose clocks differ still agree.
_RESERVE = text(
    """
    WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
    UPDATE send_rates SET next_slot = greatest(send_rates.next_slot, clock.now) + :interval
    FROM clock WHERE send_rates.key = :key
    RETURNING send_rates.next_slot - :interval AS slot, clock.now AS now
    """
)
_HOLD_OFF = text(
    """
    UPDATE send_rates
    SET next_slot = greatest(next_slot, extract(epoch FROM clock_timestamp()) + :seconds)
    WHERE key = :key
    """
)
_CREATE = text("INSERT INTO send_rates (key, next_slot) VALUES (:key, 0) ON CONFLICT DO NOTHING")
# A claimed batch is sent well within its lease: at most this many seconds of the
# slowest limited rate are claimed at once.
BATCH_SECONDS = 60


class SharedSlots:
    """Slots in PostgreSQL's ``send_rates``, shared by every dispatcher."""

    def __init__(self, engine: Engine):
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    def create(self, key: str) -> None:
        with self._engine.connect() as connection:
            connection.execute(_CREATE, {"key": key})

    def reserve(self, key: str, interval: float) -> tuple[float, float]:
        """The slot reserved and the time now, both on the database's clock."""
        with self._engine.connect() as connection:
            slot, now = connection.execute(_RESERVE, {"key": key, "interval": interval}).one()
        return slot, now

    def hold_off(self, key: str, seconds: float) -> None:
        with self._engine.connect() as connection:
            connection.execute(_HOLD_OFF, {"key": key, "seconds": seconds})


class LocalSlots:
    """Slots kept in this process (SQLite, where one dispatcher runs)."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def create(self, key: str) -> None:
        with self._lock:
            self._next.setdefault(key, 0.0)

    def reserve(self, key: str, interval: float) -> tuple[float, float]:
        with self._lock:
            now = self._clock()
            slot = max(self._next[key], now)
            self._next[key] = slot + interval
            return slot, now

    def hold_off(self, key: str, seconds: float) -> None:
        with self._lock:
            self._next[key] = max(self._next[key], self._clock() + seconds)


class SendRates:
    """Each limited channel's rate (messages per second) and its slots."""

    def __init__(
        self,
        rates: dict[str, float],
        slots: SharedSlots | LocalSlots,
        *,
        sms_sender: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.rates = {key: rate for key, rate in rates.items() if rate}
        self._slots = slots
        self._sms_sender = sms_sender
        self._sleep = sleep
        for key in self.rates:
            slots.create(key)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> SendRates:
        """The rates configured (none: unlimited), shared through the database when it is
        PostgreSQL."""
        sender = settings.sms_from or ""
        rates = {
            "email": settings.email_rate_per_second,
            f"sms:{sender}": settings.sms_rate_per_second,
        }
        slots = SharedSlots(engine) if engine.dialect.name == "postgresql" else LocalSlots()
        return cls({k: v for k, v in rates.items() if v}, slots, sms_sender=sender)

    def key_of(self, channel: str) -> str | None:
        """The rate a message on ``channel`` counts against, if that channel is limited."""
        key = "email" if channel == "email" else f"sms:{self._sms_sender}"
        return key if key in self.rates else None

    def wait_for_slot(self, channel: str) -> float | None:
        """Reserve the channel's next slot and wait until it comes; return the slot (on
        the slots' clock), or None when the channel is unlimited."""
        key = self.key_of(channel)
        if key is None:
            return None
        slot, now = self._slots.reserve(key, 1.0 / self.rates[key])
        if slot > now:
            self._sleep(slot - now)
        return slot

    def hold_off(self, channel: str, seconds: float) -> None:
        """The provider asked everyone to wait: no slot of this channel before then."""
        key = self.key_of(channel)
        if key is not None and seconds > 0:
            self._slots.hold_off(key, seconds)

    def batch_ceiling(self, batch_size: int) -> int:
        """How many nudges to claim at once: no more than the slowest limited channel
        sends in ``BATCH_SECONDS``, so a claimed batch goes out well within its lease."""
        if not self.rates:
            return batch_size
        return max(1, min(batch_size, math.ceil(min(self.rates.values()) * BATCH_SECONDS)))
