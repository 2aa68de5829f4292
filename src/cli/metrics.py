"""Backtest report figures from a replay: returns, risk, trades, exposure, fees, per pair.

A *trade* is a round trip of one pair: from flat to flat (adds and partial exits in between
belong to it). One still open at the end is valued at the last close and counted as open.
Returns per bar come from the equity marked at each bar's close.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from src.cli.replay import ReplayResult
from src.core.execution import Fill, Side

MINUTES_PER_YEAR = 365.25 * 24 * 60


@dataclass
class Trade:
    """One round trip."""

    pair: str
    entry: datetime
    exit: datetime | None
    pnl: float
    cost: float
    fees: float

    @property
    def ret(self) -> float:
        """Profit over the money put in (fees included in the profit)."""
        return self.pnl / self.cost if self.cost else 0.0

    @property
    def duration(self) -> timedelta | None:
        """How long it was held (None while open)."""
        return None if self.exit is None else self.exit - self.entry


@dataclass
class Report:
    """Every figure the terminal and the HTML report show, for one replay."""

    label: str
    start: datetime
    end: datetime
    total_return: float
    cagr: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_duration: timedelta
    win_rate: float
    profit_factor: float
    exposure: float
    trades: list[Trade]
    fees: float
    final_equity: float
    drawdown: list[float] = field(default_factory=list)
    per_pair: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def closed(self) -> list[Trade]:
        """Trades that ended before the data did."""
        return [t for t in self.trades if t.exit is not None]

    @property
    def average_duration(self) -> timedelta | None:
        """Mean holding time of the closed trades."""
        spans = [t.duration for t in self.closed if t.duration is not None]
        return sum(spans, timedelta()) / len(spans) if spans else None


@dataclass
class _Open:
    """A round trip in progress: signed quantity, net cash so far, money put in, fees."""

    entry: datetime
    qty: Decimal = Decimal(0)
    cash: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)

    def trade(self, pair: str, exit_: datetime | None, value: Decimal = Decimal(0)) -> Trade:
        return Trade(
            pair, self.entry, exit_, float(self.cash + value), float(self.cost), float(self.fees)
        )


def round_trips(fills: list[Fill], marks: dict[str, Decimal]) -> list[Trade]:
    """Group each pair's fills into flat-to-flat trades (the last may still be open)."""
    trades: list[Trade] = []
    state: dict[str, _Open] = {}
    for fill in sorted(fills, key=lambda f: (f.timestamp, f.fill_id)):
        sign = 1 if fill.side is Side.BUY else -1
        current = state.get(fill.symbol)
        if current is None or current.qty == 0:
            current = state[fill.symbol] = _Open(fill.timestamp)
        notional = fill.quantity * fill.price
        if current.qty == 0 or (current.qty > 0) == (sign > 0):  # adding: more money put in
            current.cost += notional
        current.qty += sign * fill.quantity
        current.cash -= sign * notional + fill.fee
        current.fees += fill.fee
        if current.qty == 0:
            trades.append(current.trade(fill.symbol, fill.timestamp))
    for pair, current in state.items():
        if current.qty != 0:
            trades.append(current.trade(pair, None, current.qty * marks.get(pair, Decimal(0))))
    return sorted(trades, key=lambda t: t.entry)


def _drawdown(equity: list[float], times: list[datetime]) -> tuple[list[float], float, timedelta]:
    peak, peak_at = -math.inf, times[0]
    series, longest = [], timedelta()
    for value, at in zip(equity, times, strict=True):
        if value >= peak:
            longest = max(longest, at - peak_at)
            peak, peak_at = value, at
        series.append(value / peak - 1 if peak > 0 else 0.0)
    longest = max(longest, times[-1] - peak_at) if series and series[-1] < 0 else longest
    return series, min(series, default=0.0), longest


def _ratios(returns: list[float], bars_per_year: float) -> tuple[float, float]:
    if len(returns) < 2:
        return math.nan, math.nan
    mean = sum(returns) / len(returns)
    var = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    down = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    scale = math.sqrt(bars_per_year)
    sharpe = mean / math.sqrt(var) * scale if var > 0 else math.nan
    sortino = mean / down * scale if down > 0 else math.nan
    return sharpe, sortino


def _per_pair(result: ReplayResult, trades: list[Trade]) -> dict[str, dict[str, float]]:
    bars = max(len(result.exposure), 1)
    held: dict[str, int] = defaultdict(int)
    for row in result.exposure:
        for pair in row:
            held[pair] += 1
    out: dict[str, dict[str, float]] = {}
    pairs = sorted({f.symbol for f in result.fills} | set(held))
    for pair in pairs:
        mine = [t for t in trades if t.pair == pair]
        closed = [t for t in mine if t.exit is not None]
        wins = [t for t in closed if t.pnl > 0]
        out[pair] = {
            "trades": len(mine),
            "win_rate": len(wins) / len(closed) if closed else math.nan,
            "pnl": sum(t.pnl for t in mine),
            "fees": sum(t.fees for t in mine),
            "exposure": held[pair] / bars,
        }
    return out


def build_report(result: ReplayResult, interval_minutes: int) -> Report:
    """The report of one replay."""
    equity, times = result.equity, result.times
    start_equity = float(result.capital)
    trades = round_trips(result.fills, result.last_prices)
    closed = [t for t in trades if t.exit is not None]
    wins = [t.pnl for t in closed if t.pnl > 0]
    losses = [-t.pnl for t in closed if t.pnl < 0]
    series = [start_equity, *equity]
    returns = [b / a - 1 for a, b in itertools.pairwise(series) if a > 0]
    sharpe, sortino = _ratios(returns, MINUTES_PER_YEAR / interval_minutes)
    # The starting capital is the equity one bar before the first close.
    stamps = [times[0] - timedelta(minutes=interval_minutes), *times]
    drawdown, worst, worst_span = _drawdown(series, stamps)
    final = equity[-1] if equity else start_equity
    years = (times[-1] - times[0]).total_seconds() / (MINUTES_PER_YEAR * 60) if times else 0
    growth = final / start_equity if start_equity else math.nan
    return Report(
        label=result.label,
        start=times[0],
        end=times[-1],
        total_return=growth - 1,
        cagr=growth ** (1 / years) - 1 if years > 0 and growth > 0 else math.nan,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=worst,
        max_drawdown_duration=worst_span,
        win_rate=len(wins) / len(closed) if closed else math.nan,
        profit_factor=sum(wins) / sum(losses) if losses else (math.inf if wins else math.nan),
        exposure=sum(1 for row in result.exposure if row) / max(len(result.exposure), 1),
        trades=trades,
        fees=float(sum((f.fee for f in result.fills), Decimal(0))),
        final_equity=final,
        drawdown=drawdown[1:],
        per_pair=_per_pair(result, trades),
    )
