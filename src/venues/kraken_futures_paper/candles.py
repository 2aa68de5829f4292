"""Candles for the charts API: trade candles from prints, mark and spot candles from samples.

Chosen model: mark and spot (index) are sampled at every market step; a candle's OHLC is the
samples inside its interval. Mark and spot candles have volume 0, as Kraken's do.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.venues.kraken_futures_paper.market import Print
from src.venues.kraken_futures_paper.wire import ms

__all__ = ["RESOLUTIONS", "Samples", "candles"]

RESOLUTIONS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14400,
               "12h": 43200, "1d": 86400, "1w": 604800}  # fmt: skip
MAX_CANDLES = 2000


@dataclass
class Samples:
    """Time-stamped prices of one series (mark or spot)."""

    points: deque[tuple[datetime, Decimal]] = field(default_factory=lambda: deque(maxlen=200_000))

    def add(self, when: datetime, price: Decimal) -> None:
        """Record a sample (the same instant twice keeps the later price)."""
        if self.points and self.points[-1][0] == when:
            self.points.pop()
        self.points.append((when, price))


def candles(
    points: Iterable[tuple[datetime, Decimal, Decimal]],
    resolution: str,
    start: float | None,
    end: float | None,
    count: int | None,
) -> dict[str, Any]:
    """Kraken's charts reply for ``(time, price, volume)`` points, epoch-second bounds."""
    step = RESOLUTIONS[resolution]
    buckets: dict[int, list[Decimal]] = {}
    for when, price, volume in points:
        t = when.timestamp()
        if (start is not None and t < start) or (end is not None and t > end):
            continue
        key = int(t // step * step)
        bucket = buckets.setdefault(key, [price, price, price, price, Decimal(0)])
        bucket[1] = max(bucket[1], price)
        bucket[2] = min(bucket[2], price)
        bucket[3] = price
        bucket[4] += volume
    keys = sorted(buckets)
    limit = min(count or MAX_CANDLES, MAX_CANDLES)
    more = len(keys) > limit
    keys = keys[-limit:]
    rows = [
        {
            "time": key * 1000, "open": str(buckets[key][0]), "high": str(buckets[key][1]),
            "low": str(buckets[key][2]), "close": str(buckets[key][3]),
            "volume": str(buckets[key][4]),
        }
        for key in keys
    ]  # fmt: skip
    return {"candles": rows, "more_candles": more}


def trade_points(prints: Iterable[Print]) -> list[tuple[datetime, Decimal, Decimal]]:
    """Prints as chart points."""
    return [(p.time, p.price, p.size) for p in prints]


def epoch_ms(when: datetime) -> int:
    """Re-exported for callers that format candle times."""
    return ms(when)
