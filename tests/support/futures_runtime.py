"""A TradingRuntime on one futures contract, scripted target by target, for loopback tests."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.clock import SystemClock
from src.core.futures_risk import FuturesRiskLimits
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig, Target
from tests.support.runtime import ListCandles, make_candles

D = Decimal


class TargetScript:
    """One target per candle after the warm-up candle, from a list of weights."""

    interval_minutes = 1
    warmup_candles = 0

    def __init__(self, symbol: str, weights: Sequence[str]) -> None:
        self.symbols = (symbol,)
        self.weights = list(weights)
        self.seen = 0

    def on_candle(self, candle: Candle) -> list[Target]:
        self.seen += 1
        if self.seen == 1 or not self.weights:  # the first candle is the warm-up
            return []
        return [Target(self.symbols[0], D(self.weights.pop(0)))]


def futures_runtime(
    adapter: KrakenFuturesAdapter,
    symbol: str,
    weights: Sequence[str],
    closes: Sequence[int],
    path: Path,
    *,
    limits: RiskLimits | None = None,
    futures_limits: FuturesRiskLimits | None = None,
) -> tuple[TradingRuntime, ListCandles]:
    """The runtime (1,000 USD a weight of 1) and its candles, the first one released.

    ``limits`` default to generous spot-style limits on ``symbol`` with leverage allowed;
    ``futures_limits`` to the defaults with ``symbol`` allowed.
    """
    limits = limits or RiskLimits(
        allowed_pairs=frozenset({symbol}), allow_leverage=True, max_order_notional=D(5000),
        max_position_notional=D(5000), max_gross_exposure=D(10000), kill_file=None,
    )  # fmt: skip
    clock = SystemClock()
    candles = ListCandles(make_candles(symbol, closes), released=1)
    runtime = TradingRuntime(
        adapter, TargetScript(symbol, weights), store=OrderStore(path), clock=clock,
        candles=candles, risk=RiskManager(limits, clock, KillSwitch()), quotes=adapter,
        config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=D(1000)), history_candles=1),
        futures_limits=futures_limits or FuturesRiskLimits(allowed_symbols=frozenset({symbol})),
        status_sink=lambda line: None,
    )  # fmt: skip
    return runtime, candles
