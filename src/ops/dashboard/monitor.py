"""What the dashboard remembers between refreshes: equity over time, order rate, REST success."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from src.core.risk import Refusal
from src.core.runtime import TradingRuntime
from src.core.sizing import OrderIntent


@dataclass(frozen=True)
class Sample:
    """The book at one moment: equity and net PnL (quote currency)."""

    at: datetime
    equity: Decimal
    pnl: Decimal


class Monitor:
    """Samples a runtime on a timer and listens to its risk decisions.

    Args:
        runtime: the bot watched.
        keep: samples kept (the chart's span is ``keep`` times the sampling period).
    """

    def __init__(self, runtime: TradingRuntime, keep: int = 720) -> None:
        self.runtime = runtime
        self.samples: deque[Sample] = deque(maxlen=keep)
        self._allowed: deque[float] = deque()
        self._last_report: object = runtime.stats.last_reconcile
        #: ``runtime.clock.monotonic()`` of the last reconcile seen to complete (REST works).
        self.reconciled_at: float | None = None
        self.decisions = 0

    def observe(self) -> None:
        """Note whether a reconcile (a round of REST calls) completed since the last look."""
        report = self.runtime.stats.last_reconcile
        if report is not None and report is not self._last_report:
            self._last_report, self.reconciled_at = report, self.runtime.clock.monotonic()

    def sample(self) -> Sample:
        """Record the equity now (and observe the reconcile); return the sample."""
        runtime = self.runtime
        self.observe()
        portfolio = runtime.portfolio
        sample = Sample(runtime.clock.now(), portfolio.equity, portfolio.net_pnl)
        if not self.samples or sample.at > self.samples[-1].at:
            self.samples.append(sample)
        return sample

    async def run(self, every: float) -> None:
        """Sample every ``every`` real seconds until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(every)

    def on_decision(self, intent: OrderIntent, refusal: Refusal | None) -> None:
        """Count orders let through (a ``RiskManager`` listener) for the per-minute gauge."""
        self.decisions += 1
        if refusal is None:
            self._allowed.append(self.runtime.clock.monotonic())

    def orders_last_minute(self) -> int:
        """Return how many orders risk allowed in the last 60 s of the runtime's clock."""
        now = self.runtime.clock.monotonic()
        while self._allowed and now - self._allowed[0] >= 60.0:
            self._allowed.popleft()
        return len(self._allowed)
