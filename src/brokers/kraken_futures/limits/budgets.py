"""The futures request gate: Kraken's two rate-limit budgets kept locally before every call."""

from __future__ import annotations

import asyncio
from typing import Literal, Protocol, runtime_checkable

from src.brokers.kraken_futures.rate_costs import DERIVATIVES_BUDGET, HISTORY_BUDGET, Budget
from src.core.clock import Clock, SystemClock
from src.core.errors import ConfigurationError, LocalRateLimitError, RateLimitError
from src.utils.decaying_counter import DecayingCounter

__all__ = ["FuturesGate", "FuturesRateLimits", "NullFuturesGate"]

PoolName = Literal["derivatives", "history", "public"]


@runtime_checkable
class FuturesGate(Protocol):
    """Decides whether a call may be sent now; told when the venue says a budget is spent."""

    async def before(self, pool: PoolName, cost: float, endpoint: str) -> None:
        """Return once ``cost`` fits ``pool`` (maybe after waiting) or raise LocalRateLimitError."""
        ...

    def on_rate_limited(self, pool: PoolName, error: RateLimitError) -> None:
        """The venue answered ``apiLimitExceeded`` (or HTTP 429) for ``pool``."""
        ...


class NullFuturesGate:
    """A gate that lets everything through (tests, or a caller who limits elsewhere)."""

    async def before(self, pool: PoolName, cost: float, endpoint: str) -> None:
        """Never waits."""

    def on_rate_limited(self, pool: PoolName, error: RateLimitError) -> None:
        """Ignored."""


class FuturesRateLimits:
    """Kraken Futures' ``/derivatives`` and history budgets as local leaky buckets.

    Each call's cost must fit its pool's bucket before it is sent. In ``wait`` mode the call
    sleeps exactly as long as the bucket needs to drain (callers queue one at a time per pool);
    in ``refuse`` mode it raises ``LocalRateLimitError`` with ``retry_after``. When the venue
    says the budget is spent anyway (another process on the same key), the bucket is filled
    so the next call waits a full drain.

    Args:
        mode: ``wait`` or ``refuse``.
        clock: time source (``ManualClock`` in tests).
        derivatives: the private trading budget (default 500 per 10 s).
        history: the history budget (default 100 per 10 min).
    """

    def __init__(
        self,
        mode: str = "wait",
        clock: Clock | None = None,
        *,
        derivatives: Budget = DERIVATIVES_BUDGET,
        history: Budget = HISTORY_BUDGET,
    ) -> None:
        if mode not in ("wait", "refuse"):
            raise ConfigurationError(f"rate-limit mode {mode!r}: expected 'wait' or 'refuse'")
        self.mode = mode
        self.clock: Clock = clock or SystemClock()
        self.counters = {
            "derivatives": DecayingCounter(
                derivatives.maximum, derivatives.decay_per_second, self.clock
            ),
            "history": DecayingCounter(history.maximum, history.decay_per_second, self.clock),
        }
        self._locks = {name: asyncio.Lock() for name in self.counters}

    async def before(self, pool: PoolName, cost: float, endpoint: str) -> None:
        """Wait (or refuse) until ``cost`` fits ``pool``, then charge it."""
        counter = self.counters.get(pool)
        if counter is None or cost <= 0:
            return
        cost = min(cost, counter.maximum)
        async with self._locks[pool]:
            wait = counter.cost_wait(cost)
            if wait > 0 and self.mode == "refuse":
                raise LocalRateLimitError(
                    f"{endpoint} would exceed Kraken Futures' {pool} budget; retry in {wait:.2f} s",
                    retry_after=wait,
                    endpoint=endpoint,
                )
            while wait > 0:
                await self.clock.sleep(wait)
                wait = counter.cost_wait(cost)
            counter.add(cost)

    def on_rate_limited(self, pool: PoolName, error: RateLimitError) -> None:
        """Fill the pool's bucket: the venue's count is ahead of ours."""
        counter = self.counters.get(pool)
        if counter is not None:
            counter.saturate()
