"""Replay history through the trading runtime on ``SimEngine``: the backtest's one code path.

The same ``TradingRuntime`` that trades paper and live (strategy -> sizing -> risk limits ->
order manager -> SQLite store -> fills -> portfolio) runs here against ``SimEngine`` on a
``ManualClock``. Each step releases one more closed bar per pair; an order decided at a bar's
close fills at the next bar's open (the price the engine is set to before the step), paying
the taker fee and half the spread, as ``tests/unit/runtime/test_replay_parity.py`` checks
against the vectorized backtest.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from src.core.clock import ManualClock
from src.core.execution import Fill
from src.core.instruments import Instrument
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig, Target
from src.core.strategy import Strategy
from src.venues.sim_engine import SimEngine

#: Timers the loop would run in real time; a replay has no venue to reconcile with.
NEVER = 10.0**12


class BuyAndHold:
    """The comparison: fully long every pair from the first bar to the last."""

    def __init__(self, symbols: Sequence[str], interval_minutes: int) -> None:
        self.symbols: Sequence[str] = list(symbols)
        self.interval_minutes = interval_minutes
        self.warmup_candles = 1

    def on_candle(self, candle: Candle) -> list[Target]:
        """Return a full-weight target for the candle's pair."""
        return [Target(candle.symbol, Decimal(1))] if candle.symbol in self.symbols else []


class ReleasedCandles:
    """A ``CandleSource`` over fixed candles, serving only those up to ``until`` (closed ones)."""

    def __init__(self, candles: Mapping[str, Sequence[Candle]]) -> None:
        self.candles = {s: list(c) for s, c in candles.items()}
        self.times = {s: [c.timestamp for c in cs] for s, cs in self.candles.items()}
        self.until: datetime | None = None
        #: The oldest bar served when no ``since`` is given (the runtime's warm-up fetch).
        self.floor: dict[str, datetime] = {}

    async def fetch_candles(
        self, symbol: str, interval_minutes: int, since: datetime | None = None
    ) -> list[Candle]:
        """Candles of ``symbol`` with ``since <= timestamp <= until`` (bisect: no scan)."""
        times = self.times.get(symbol, [])
        if self.until is None:
            return []
        end = bisect.bisect_right(times, self.until)
        since = since if since is not None else self.floor.get(symbol)
        begin = 0 if since is None else bisect.bisect_left(times, since)
        return self.candles[symbol][begin:end]


def _prime(strategy: Strategy, feed: ReleasedCandles, before: datetime) -> None:
    """Hand a model its warm-up bars directly, and the runtime only the last one per pair.

    The runtime warms a strategy up by calling ``on_candle`` on each history bar; a model
    scores every one of them (features over the whole window each time), which costs minutes
    for nothing. ``ModelStrategy.prime`` loads bars without scoring, as it does live.
    """
    prime = getattr(strategy, "prime", None)
    if prime is None:
        return
    warm = strategy.warmup_candles * 2
    for symbol, candles in feed.candles.items():
        end = bisect.bisect_left(feed.times[symbol], before)
        if end == 0:
            continue
        prime(candles[max(0, end - warm) : end - 1])
        feed.floor[symbol] = candles[end - 1].timestamp


@dataclass
class ReplayResult:
    """What one replay produced (floats only for plotting and statistics)."""

    label: str
    capital: Decimal
    times: list[datetime] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    exposure: list[dict[str, float]] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    kill_reason: str | None = None
    kill_time: datetime | None = None
    last_prices: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplaySetup:
    """Everything a replay needs besides the strategy.

    Attributes:
        candles: closed bars per pair, oldest first.
        instruments: ticks, lots and minimums per pair.
        interval_minutes: the bar interval.
        start: first bar the strategy may trade on (earlier bars only warm it up).
        end: bars at or after this are not replayed (None: all).
        capital_per_pair: the runtime's sizing capital.
        limits: the risk limits (the kill file is dropped: it is an operator's lever).
        taker_fee: fee rate of a market order.
        spread_bps: quoted spread; market orders pay half.
        db_path: the runtime's SQLite store for this replay.
    """

    candles: Mapping[str, Sequence[Candle]]
    instruments: Mapping[str, Instrument]
    interval_minutes: int
    start: datetime
    end: datetime | None
    capital_per_pair: Decimal
    limits: RiskLimits
    taker_fee: Decimal
    spread_bps: Decimal
    db_path: Path


def _timeline(setup: ReplaySetup) -> list[datetime]:
    stamps = {c.timestamp for cs in setup.candles.values() for c in cs}
    return sorted(t for t in stamps if t >= setup.start and (setup.end is None or t < setup.end))


def _next_open(candles: Sequence[Candle], times: list[datetime], at: datetime) -> Decimal | None:
    i = bisect.bisect_right(times, at)
    return candles[i].open if i < len(candles) else None


def _runtime(
    setup: ReplaySetup,
    strategy: Strategy,
    engine: SimEngine,
    clock: ManualClock,
    feed: ReleasedCandles,
) -> TradingRuntime:
    limits = setup.limits.model_copy(update={"kill_file": None})
    config = RuntimeConfig(
        sizing=SizingConfig(capital_per_pair=setup.capital_per_pair),
        reconcile_seconds=NEVER,
        status_seconds=NEVER,
        heartbeat_seconds=NEVER,
        history_candles=max(strategy.warmup_candles * 2, 60),
    )
    return TradingRuntime(
        engine,
        strategy,
        store=OrderStore(setup.db_path),
        risk=RiskManager(limits, clock, KillSwitch()),
        clock=clock,
        candles=feed,
        quotes=engine,
        config=config,
        status_sink=lambda line: None,
    )


async def replay(
    setup: ReplaySetup,
    strategy: Strategy,
    label: str,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Run ``strategy`` over the setup's bars through the runtime; one equity point per bar.

    Raises:
        ValueError: no bar to replay at or after ``start``.
    """
    timeline = _timeline(setup)
    if not timeline:
        raise ValueError(f"no candles from {setup.start:%Y-%m-%d %H:%M} to trade on")
    step = timedelta(minutes=setup.interval_minutes)
    setup.db_path.unlink(missing_ok=True)
    clock = ManualClock(wall_start=timeline[0])
    quotes = {i.quote for i in setup.instruments.values()}
    total = setup.capital_per_pair * len(setup.candles)
    # The account holds twice what the bot trades, as a real one holds more than the bot's
    # capital: the bot's equity is its own capital plus its PnL, whatever the account holds.
    engine = SimEngine(
        setup.instruments,
        {q: total * 2 for q in quotes},
        clock=clock,
        taker_fee=setup.taker_fee,
        spread_bps=setup.spread_bps,
    )
    feed = ReleasedCandles(setup.candles)
    times = feed.times
    for symbol, cs in setup.candles.items():
        price = _next_open(cs, times[symbol], timeline[0] - step) or cs[0].open
        engine.set_price(symbol, price)
    feed.until = timeline[0] - step  # history before the start only warms the strategy up
    _prime(strategy, feed, timeline[0])
    runtime = _runtime(setup, strategy, engine, clock, feed)
    await runtime.start()
    result = ReplayResult(label, total)
    for n, bar in enumerate(timeline):
        close_time = bar + step
        clock.advance(max(0.0, (close_time - clock.now()).total_seconds()))
        for symbol, cs in setup.candles.items():
            fill_at = _next_open(cs, times[symbol], bar)
            if fill_at is not None:  # after a pair's last bar its price stays where it was
                engine.set_price(symbol, fill_at)
        feed.until = bar
        await runtime.step()
        _record(result, runtime, close_time)
        if progress is not None:
            progress(n + 1, len(timeline))
    await runtime.shutdown()
    result.fills = runtime.store.fills()
    result.refusals = dict(runtime.risk.refusals)
    result.kill_reason = runtime.risk.kill_switch.reason
    result.last_prices = dict(runtime.prices)
    runtime.store.close()
    return result


def _record(result: ReplayResult, runtime: TradingRuntime, at: datetime) -> None:
    portfolio = runtime.portfolio
    result.times.append(at)
    result.equity.append(float(portfolio.equity))
    result.exposure.append(
        {
            s: float(abs(p.quantity) * runtime.prices.get(s, Decimal(0)))
            for s, p in portfolio.positions.items()
            if p.quantity
        }
    )
    if result.kill_time is None and runtime.risk.kill_switch.reason:
        result.kill_time = at
