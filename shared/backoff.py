"""Exponential backoff with jitter: how long to wait before trying again.

Failures come in crowds. A provider outage fails every nudge on the wire, a database
restart the next round of every process, a broken handler every message it gets; a wait
computed from the attempt number alone brings the whole crowd back at the same instant,
to meet the same overloaded server together. Each wait here is the plain exponential one
less a random share of it, at most ``spread`` (half, by default): never longer than the
plain wait (so never past its ceiling), never shorter than ``1 - spread`` of it, and
different from one caller to the next. The random source is injected, so a test pins it.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    """``first`` seconds before the first retry, doubled per attempt up to ``longest``,
    less a random share of up to ``spread``."""

    first: float
    longest: float
    spread: float = 0.5
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.spread <= 1:
            raise ValueError("spread must be between 0 and 1")

    def plain(self, attempt: int) -> float:
        """The wait before retry ``attempt`` (1 for the first) without jitter."""
        doublings = min(max(attempt, 1) - 1, 64)
        return min(self.first * 2.0**doublings, self.longest)

    def delay(self, attempt: int) -> float:
        """The wait before retry ``attempt``: between ``1 - spread`` of the plain wait
        and the plain wait itself."""
        return self.plain(attempt) * (1 - self.spread * self.random())
