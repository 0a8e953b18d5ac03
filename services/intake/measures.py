"""Standard outcome measures scored by the service, never by the caller.

K10 (Kessler Psychological Distress Scale): 10 items scored 1-5, total 10-50, read in
the bands used by Australian mental-health services. WEMWBS (Warwick-Edinburgh Mental
Wellbeing Scale): 14 items scored 1-5, total 14-70, higher is better, read in three bands
about one standard deviation either side of the population mean (low 14-42, moderate 43-59,
high 60-70).
"""

from __future__ import annotations

from dataclasses import dataclass

K10_ITEMS = 10
WEMWBS_ITEMS = 14
ITEM_RANGE = (1, 5)

# Upper bound (inclusive) of each K10 band.
K10_BANDS = ((15, "low"), (21, "moderate"), (29, "high"), (50, "very_high"))
WEMWBS_BANDS = ((42, "low"), (59, "moderate"), (70, "high"))


@dataclass(frozen=True)
class K10Score:
    total: int
    band: str


def _checked_total(items: list[int], expected: int, name: str) -> int:
    if len(items) != expected:
        raise ValueError(f"{name} has {expected} items, not {len(items)}")
    low, high = ITEM_RANGE
    if any(not low <= item <= high for item in items):
        raise ValueError(f"{name} items are scored {low}-{high}")
    return sum(items)


def k10_band(total: int) -> str:
    for upper, band in K10_BANDS:
        if total <= upper:
            return band
    raise ValueError(f"K10 total {total} is out of range")


def wemwbs_band(total: int) -> str:
    for upper, band in WEMWBS_BANDS:
        if total <= upper:
            return band
    raise ValueError(f"WEMWBS total {total} is out of range")


def score_k10(items: list[int]) -> K10Score:
    total = _checked_total(items, K10_ITEMS, "K10")
    return K10Score(total=total, band=k10_band(total))


def score_wemwbs(items: list[int]) -> int:
    return _checked_total(items, WEMWBS_ITEMS, "WEMWBS")
