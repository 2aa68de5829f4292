"""The venue's own rate-limit budgets per key, as Kraken documents them.

``/derivatives`` private calls: 500 points per 10 s (sendorder 10, accounts 2, ... batchorder
9 + instructions); over budget Kraken answers ``error: apiLimitExceeded``. History: 100
tokens refilled at 100 per 10 minutes; over budget HTTP 429 with ``rate-limit-reset``.
https://docs.kraken.com/api/docs/guides/futures-rate-limits
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["COSTS", "Bucket", "VenueLimits"]

COSTS = {
    "sendorder": 10, "editorder": 10, "cancelorder": 10, "accounts": 2, "openpositions": 2,
    "openorders": 2, "fills": 2, "cancelallorders": 25, "cancelallordersafter": 25,
    "orders/status": 1, "leveragepreferences": 2, "feeschedules/volumes": 2,
}  # fmt: skip


@dataclass
class Bucket:
    """``capacity`` points draining at ``rate`` per second (own implementation)."""

    capacity: float
    rate: float
    level: float = 0.0
    stamp: float = 0.0

    def charge(self, cost: float, now: float) -> float | None:
        """Add ``cost`` if it fits (None), else return seconds until it would."""
        self.level = max(0.0, self.level - (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + cost > self.capacity + 1e-9:
            return (self.level + cost - self.capacity) / self.rate
        self.level += cost
        return None


@dataclass
class VenueLimits:
    """Per-key derivatives and history buckets; ``enabled=False`` lets everything through."""

    monotonic: Callable[[], float]
    enabled: bool = True
    derivatives: dict[str, Bucket] = field(default_factory=dict)
    history: dict[str, Bucket] = field(default_factory=dict)

    def derivatives_cost(self, endpoint: str, method: str, instructions: int = 0) -> float:
        """Points one private call costs."""
        if endpoint == "batchorder":
            return 9 + instructions
        if endpoint == "fills" and method == "timed":
            return 25
        if endpoint == "leveragepreferences" and method == "PUT":
            return 10
        return COSTS.get(endpoint, 10)

    def charge_derivatives(self, key: str, cost: float) -> float | None:
        """None if the call fits the key's budget, else the wait."""
        if not self.enabled:
            return None
        bucket = self.derivatives.setdefault(key, Bucket(500, 50, stamp=self.monotonic()))
        return bucket.charge(cost, self.monotonic())

    def charge_history(self, key: str, cost: float) -> float | None:
        """None if the call fits the key's history pool, else the wait."""
        if not self.enabled:
            return None
        bucket = self.history.setdefault(key, Bucket(100, 100 / 600, stamp=self.monotonic()))
        return bucket.charge(cost, self.monotonic())
