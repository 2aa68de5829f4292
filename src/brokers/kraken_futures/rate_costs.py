"""Kraken Futures rate-limit budgets and endpoint costs, as data.

https://docs.kraken.com/api/docs/guides/futures-rate-limits (copy dated 2026-05-27): private
``/derivatives`` calls share a budget of 500 per 10 s; the history API a pool of 100 tokens
refilled at 100 per 10 minutes. Public endpoints cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Budget:
    """A leaky bucket: ``maximum`` points, refilled at ``maximum / window_seconds`` per second."""

    maximum: float
    window_seconds: float

    @property
    def decay_per_second(self) -> float:
        """Points the bucket regains per second."""
        return self.maximum / self.window_seconds


DERIVATIVES_BUDGET = Budget(500, 10)
HISTORY_BUDGET = Budget(100, 600)

#: Cost of each private ``/derivatives`` endpoint (rate-limit guide's table).
DERIVATIVES_COSTS = MappingProxyType(
    {
        "sendorder": 10,
        "editorder": 10,
        "cancelorder": 10,
        "accounts": 2,
        "openpositions": 2,
        "openorders": 2,
        "fills": 2,
        "cancelallorders": 25,
        "cancelallordersafter": 25,
        "orders/status": 1,
        "leveragepreferences": 2,
        "set_leveragepreferences": 10,
        "feeschedules/volumes": 2,
    }
)
#: ``fills`` with ``lastFillTime`` costs 25 instead of 2.
FILLS_WITH_TIME_COST = 25
#: ``batchorder`` costs 9 plus one per instruction.
BATCH_BASE_COST = 9
#: Cost of a private endpoint the table does not list (the guide lists every one we call;
#: this is the safe side for one added later).
DEFAULT_COST = 10


def derivatives_cost(name: str, params: dict[str, object] | None = None) -> float:
    """Cost of one call to the private endpoint ``name`` with ``params``."""
    params = params or {}
    if name == "fills" and params.get("lastFillTime"):
        return FILLS_WITH_TIME_COST
    if name == "batchorder":
        count = params.get("_instructions", 1)
        return BATCH_BASE_COST + (count if isinstance(count, int) else 1)
    return float(DERIVATIVES_COSTS.get(name, DEFAULT_COST))


def history_cost(name: str, count: int | None = None) -> float:
    """Cost of one history call; ``account-log`` is priced by ``count`` (default 500)."""
    if name != "account-log":
        return 6 if name == "accountlogcsv" else 1
    rows = 500 if count is None else count
    for limit, cost in ((25, 1), (50, 2), (1000, 3), (5000, 6)):
        if rows <= limit:
            return cost
    return 10
