"""A runtime on the in-memory SimEngine, played over a moving-average cross (buy, then sell),
and a reader of Prometheus exposition text, for the metrics and alerts tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from src.core.clock import ManualClock
from src.core.kill_switch import KillSwitch
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig
from src.core.strategy import MovingAverageCross
from src.venues.sim_engine import SimEngine
from tests.support.runtime import ListCandles, make_candles

#: Closes (x400 USD): the fast average crosses above the slow one, then below it.
UP_THEN_DOWN = [100, 100, 100, 100, 101, 103, 106, 110, 109, 105, 100, 96, 93, 92]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def sim_runtime(
    engine: SimEngine, clock: ManualClock, path: Path, limits: RiskLimits | None = None
) -> tuple[TradingRuntime, ListCandles]:
    feed = ListCandles(make_candles("BTC/USD", UP_THEN_DOWN), released=0)
    runtime = TradingRuntime(
        engine,
        MovingAverageCross(["BTC/USD"], fast=2, slow=4),
        store=OrderStore(path),
        risk=RiskManager(limits or RiskLimits(kill_file=None), clock, KillSwitch()),
        clock=clock,
        candles=feed,
        quotes=engine,
        config=RuntimeConfig(
            sizing=SizingConfig(capital_per_pair=Decimal(200)), history_candles=10
        ),
        status_sink=lambda line: None,
    )
    return runtime, feed


async def play(
    runtime: TradingRuntime, engine: SimEngine, feed: ListCandles, clock: ManualClock,
    candles: int | None = None,
) -> None:  # fmt: skip
    """Release ``candles`` more candles (default: all), one runtime step each."""
    end = len(feed.candles) if candles is None else min(len(feed.candles), feed.released + candles)
    while feed.released < end:
        candle = feed.candles[feed.released]
        engine.set_price(candle.symbol, candle.close * 400)
        feed.candles[feed.released] = candle.model_copy(
            update={"close": candle.close * 400, "open": candle.open * 400}
        )
        feed.released += 1
        await runtime.step()
        clock.advance(60)


def samples(text: bytes | str) -> Samples:
    """Every sample of an exposition text: (name, labels) -> value."""
    raw = text.decode() if isinstance(text, bytes) else text
    out: Samples = {}
    for family in text_string_to_metric_families(raw):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(found: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, or None when absent."""
    return found.get((name, frozenset(labels.items())))
