"""Charts and reports already drawn, kept by what they were drawn from.

A plan's ``version`` counts changes to the plan's own row only: a goal, a step, a
check-in, the report's notes, a client's reply, a name from intake, or simply a step
falling due as time passes changes what is drawn without touching it. So an output is
kept with the fingerprint of everything it was drawn from (the values gathered for it,
after the database session closed), and given again only to a request whose own
gathered values have the same fingerprint: anything shown that changed draws anew.

Entries are scoped by organisation and plan (and the request's kind and period), are few
and small in all, and live minutes: health information is not kept longer than it saves
work, and a client's erasure is never more than that away from every copy.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DrawnKey:
    """Which drawing: whose (organisation and plan), what (``progress.png``, ...), and
    the request's parameters that change it (the report's period as asked)."""

    organisation: uuid.UUID
    plan_id: uuid.UUID
    kind: str
    parameters: tuple = ()


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Cannot fingerprint a {type(value).__name__}.")


def fingerprint(inputs: Mapping) -> str:
    """A digest of every value a drawing is made from."""
    canonical = json.dumps(inputs, sort_keys=True, default=_plain, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class DrawnCache:
    """At most ``max_entries`` drawings and ``max_bytes`` in all, least recently used
    dropped first, each kept ``ttl_seconds`` at most. Thread-safe."""

    def __init__(self, max_entries: int, max_bytes: int, ttl_seconds: float):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[DrawnKey, tuple[str, float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: DrawnKey, version: str) -> bytes | None:
        """The drawing kept for ``key``, if it was drawn from values of ``version``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            kept_version, expires, output = entry
            if kept_version != version or time.monotonic() >= expires:
                self._drop(key)  # what it shows has changed, or it is too old to keep
                return None
            self._entries.move_to_end(key)
            return output

    def put(self, key: DrawnKey, version: str, output: bytes) -> None:
        """Keep ``output`` (replacing the drawing kept for ``key``), unless it alone
        would take more than a quarter of the room."""
        if len(output) > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (version, time.monotonic() + self.ttl_seconds, output)
            self._bytes += len(output)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size_in_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def _drop(self, key: DrawnKey) -> None:
        _, _, output = self._entries.pop(key)
        self._bytes -= len(output)
