"""Reads a running ``TradingRuntime``'s state into the metric families, one sample at a time.

Nothing here changes the runtime: it reads the book (``portfolio``), the database (``store``,
through ``RuntimeWatch``), the risk manager, the stream feed and the heartbeats, the same
objects the status line reads. Counters that the runtime keeps as totals (candles, refusals,
stream failures) are advanced by their difference since the previous sample.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from src.core.execution import OrderStatus
from src.core.runtime import TradingRuntime
from src.ops.metrics.families import OUTCOMES, RuntimeMetrics
from src.ops.metrics.watch import RuntimeWatch

ZERO = Decimal(0)


def dead_man_switches(runtime: TradingRuntime) -> list[Any]:
    """The runtime's heartbeats that are dead man's switches (``src.app.venue.DeadMansSwitch``).

    Told by shape rather than by class, so this package imports no venue code: the switch
    keeps ``failures``, ``armed_at`` (on its ``monotonic`` clock) and its ``timeout``.
    """
    wanted = ("failures", "armed_at", "timeout", "monotonic")
    return [b for b in runtime.heartbeats if all(hasattr(b, a) for a in wanted)]


def drawdown_pct(equity: Decimal, peak: Decimal | None) -> Decimal:
    """Percent of ``peak`` that ``equity`` is below it (0 at or above the peak, or no peak)."""
    if peak is None or peak <= 0 or equity >= peak:
        return ZERO
    return (peak - equity) / peak * 100


class RuntimeSampler:
    """Samples one runtime into ``metrics``.

    Args:
        runtime: the running (or starting) runtime.
        metrics: the families to update.
        mode: the ``mode`` label of ``ktrade_info`` (paper, live...).
    """

    def __init__(
        self, runtime: TradingRuntime, metrics: RuntimeMetrics, mode: str | None = None
    ) -> None:
        self.runtime, self.metrics = runtime, metrics
        self.watch = RuntimeWatch(runtime.store, runtime.portfolio)
        self._totals: dict[tuple[str, str], int] = {}
        metrics.info.labels(type(runtime.engine).__name__, mode or "").set(1)

    def sample(self) -> None:
        """Update every runtime metric from the runtime's state now."""
        self._orders()
        self._book()
        self._risk()
        self._health()
        self.metrics.sampled_at.set(time.time())

    def _advance(self, counter: Any, key: tuple[str, str], total: int) -> None:
        """Add to ``counter`` what ``total`` grew since the last sample (first: all of it)."""
        grown = total - self._totals.get(key, 0)
        self._totals[key] = total
        if grown > 0:
            counter.inc(grown)

    def _orders(self) -> None:
        m, oms = self.metrics, self.runtime.oms
        changes = self.watch.look()
        for _ in changes.submitted:
            m.orders.labels("submitted").inc()
        for order in changes.finished:
            if order.status.value in OUTCOMES:
                m.orders.labels(order.status.value).inc()
        for fill in changes.fills:
            m.fills.labels(fill.symbol).inc()
        live = oms.live
        m.open_orders.set(len(live))
        m.unresolved_orders.set(sum(o.status is OrderStatus.UNKNOWN for o in live.values()))

    def _book(self) -> None:
        m, p = self.metrics, self.runtime.portfolio
        m.equity.set(float(p.equity))
        m.pnl.labels("realized").set(float(p.realized_pnl))
        m.pnl.labels("unrealized").set(float(p.unrealized_pnl))
        m.pnl.labels("net").set(float(p.net_pnl))
        m.gross_exposure.set(float(p.gross_exposure()))
        for symbol in sorted({*self.runtime.strategy.symbols, *p.positions}):
            position = p.position(symbol)
            mark = p.marks.get(symbol, position.average_price)
            m.position.labels(symbol).set(float(position.quantity))
            m.position_value.labels(symbol).set(float(position.quantity * mark))
            m.fees.labels(symbol).set(float(position.fees))

    def _risk(self) -> None:
        m, risk, stats = self.metrics, self.runtime.risk, self.runtime.stats
        equity = self.runtime.portfolio.equity
        start = risk.day_start_equity
        m.daily_pnl.set(float(equity - start) if start is not None else 0.0)
        m.drawdown.set(float(drawdown_pct(equity, risk.peak_equity)))
        m.kill_switch.set(1 if risk.kill_switch.tripped else 0)
        for code, count in _items(risk.refusals):
            self._advance(m.refusals.labels(code), ("refusal", code), count)
        self._advance(m.candles, ("candles", ""), stats.candles)
        report = stats.last_reconcile
        m.reconcile.labels("balance").set(stats.balance_differences)
        m.reconcile.labels("unknown_orders").set(len(report.still_unknown) if report else 0)
        m.reconcile.labels("orphans").set(len(report.orphans) if report else 0)
        m.reconcile.labels("foreign_fills").set(report.foreign_fills if report else 0)

    def _health(self) -> None:
        m, runtime = self.metrics, self.runtime
        now = runtime.clock.monotonic()
        for symbol, at in list(runtime.data_at.items()):
            m.data_age.labels(symbol).set(max(0.0, now - at))
        for state in (runtime.feed.fills, runtime.feed.orders):
            if state is None:
                continue
            m.stream_up.labels(state.name).set(1 if state.running else 0)
            self._advance(m.stream_failures.labels(state.name), ("stream", state.name),
                          state.failures)  # fmt: skip
        for switch in dead_man_switches(runtime):
            m.dead_man_failures.set(switch.failures)
            if switch.armed_at is not None:
                m.dead_man_age.set(max(0.0, switch.monotonic() - switch.armed_at))


def _items(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items())
