"""The runtime loop on the in-memory venue: candles in, orders out, books that match the venue."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from src.core.clock import ManualClock
from src.core.execution import Side
from src.core.kill_switch import KillSwitch
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig
from src.core.strategy import MovingAverageCross
from src.venues.sim_engine import SimEngine
from tests.support.runtime import ListCandles, make_candles

D = Decimal
UP_THEN_DOWN = [100, 100, 100, 100, 101, 103, 106, 110, 109, 105, 100, 96, 93, 92]


def _runtime(
    engine: SimEngine,
    clock: ManualClock,
    feed: ListCandles,
    path: Path,
    limits: RiskLimits | None = None,
) -> TradingRuntime:
    lines: list[str] = []
    runtime = TradingRuntime(
        engine,
        MovingAverageCross(["BTC/USD"], fast=2, slow=4),
        store=OrderStore(path),
        risk=RiskManager(limits or RiskLimits(kill_file=None), clock, KillSwitch()),
        clock=clock,
        candles=feed,
        quotes=engine,
        config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=D(200)), history_candles=10),
        status_sink=lines.append,
    )
    runtime.lines = lines  # type: ignore[attr-defined]
    return runtime


async def _play(
    runtime: TradingRuntime, engine: SimEngine, feed: ListCandles, clock: ManualClock
) -> None:
    while feed.released < len(feed.candles):
        candle = feed.candles[feed.released]
        engine.set_price(candle.symbol, candle.close * 400)  # 100 -> 40000 USD
        feed.candles[feed.released] = candle.model_copy(
            update={"close": candle.close * 400, "open": candle.open * 400}
        )
        feed.released += 1
        await runtime.step()
        clock.advance(60)


@pytest.fixture
def feed() -> ListCandles:
    return ListCandles(make_candles("BTC/USD", UP_THEN_DOWN), released=0)


async def test_ma_cross_buys_then_sells_and_books_match_the_venue(
    engine: SimEngine, clock: ManualClock, feed: ListCandles, tmp_path: Path
) -> None:
    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite")
    await runtime.start()
    await _play(runtime, engine, feed, clock)
    await runtime.shutdown()

    sides = [f.side for f in engine.fills]
    assert sides == [Side.BUY, Side.SELL]
    stored = runtime.store.fills()
    assert [f.fill_id for f in stored] == [f.fill_id for f in engine.fills]
    buy, sell = engine.fills
    assert buy.quantity == sell.quantity
    expected_pnl = (sell.price - buy.price) * buy.quantity - buy.fee - sell.fee
    assert runtime.portfolio.net_pnl == expected_pnl
    assert runtime.portfolio.position("BTC/USD").quantity == 0
    assert runtime.stats.balance_differences == 0
    account = await engine.get_account()
    assert runtime.portfolio.expected_balances["USD"] == account["USD"]
    assert "refusals=0" in runtime.lines[-1]  # type: ignore[attr-defined]


async def test_restart_mid_session_continues_without_double_orders(
    engine: SimEngine, clock: ManualClock, feed: ListCandles, tmp_path: Path
) -> None:
    path = tmp_path / "rt.sqlite"
    first = _runtime(engine, clock, feed, path)
    await first.start()
    feed.candles = feed.candles  # same data
    while not engine.fills:  # run until the first buy went through
        candle = feed.candles[feed.released]
        engine.set_price("BTC/USD", candle.close * 400)
        feed.candles[feed.released] = candle.model_copy(update={"close": candle.close * 400})
        feed.released += 1
        await first.step()
        clock.advance(60)
    first.store.close()  # "crash": no shutdown, no cancel
    second = _runtime(engine, clock, feed, path)
    await second.start()
    assert second.portfolio.position("BTC/USD").quantity == engine.fills[0].quantity
    await _play(second, engine, feed, clock)
    assert [f.side for f in engine.fills] == [Side.BUY, Side.SELL]
    assert len(second.store.fills()) == 2


async def test_refusals_are_counted_and_shown(
    engine: SimEngine, clock: ManualClock, feed: ListCandles, tmp_path: Path
) -> None:
    limits = RiskLimits(max_order_notional=D(50), kill_file=None)  # every 200 USD buy refused
    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite", limits)
    await runtime.start()
    await _play(runtime, engine, feed, clock)
    await runtime.shutdown()
    assert engine.fills == []
    assert runtime.risk.refusals["max_order_notional"] >= 1
    assert f"refusals={sum(runtime.risk.refusals.values())}" in runtime.lines[-1]  # type: ignore[attr-defined]


async def test_loss_limit_trips_kill_switch_cancels_and_flattens(
    engine: SimEngine, clock: ManualClock, feed: ListCandles, tmp_path: Path
) -> None:
    limits = RiskLimits(daily_loss_limit=D(1), flatten_on_kill=True, kill_file=None)
    feed = ListCandles(make_candles("BTC/USD", [100, 100, 100, 100, 104, 100, 96, 92, 99, 104]))
    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite", limits)
    await runtime.start()
    await _play(runtime, engine, feed, clock)
    assert runtime.risk.kill_switch.tripped
    assert "daily loss" in (runtime.risk.kill_switch.reason or "")
    # The buy happened, the loss tripped the switch, flatten sold it; nothing after.
    assert [f.side for f in engine.fills] == [Side.BUY, Side.SELL]
    assert runtime.portfolio.position("BTC/USD").quantity == 0
    assert await engine.get_orders("open") == []


async def test_stale_quotes_refuse_orders(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    feed = ListCandles(make_candles("BTC/USD", [40000] * 4 + [40400]), released=4)
    limits = RiskLimits(max_data_age_seconds=30, kill_file=None)
    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite", limits)
    await runtime.start()
    await runtime.step()  # quotes fetched now
    clock.advance(31)  # ... and never again
    sent = await runtime.on_candle(feed.candles[4])  # fast MA crosses above: wants to buy
    assert sent == []
    assert runtime.risk.refusals == {"stale_market_data": 1}
    await runtime.step()  # fresh quote: the next signal goes through
    sent = await runtime.on_candle(
        feed.candles[4].model_copy(
            update={"timestamp": feed.candles[4].timestamp.replace(minute=5)}
        )
    )
    assert [o.side for o in sent] == [Side.BUY]


async def test_market_data_errors_do_not_stop_the_loop(
    engine: SimEngine, clock: ManualClock, feed: ListCandles, tmp_path: Path
) -> None:
    from src.core.errors import NetworkError

    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite")
    await runtime.start()

    async def broken(symbol: str) -> object:
        raise NetworkError("down")

    runtime.quotes = type("Q", (), {"get_quote": staticmethod(broken)})()
    await runtime.step()
    assert runtime.mids == {}


async def test_a_due_heartbeat_runs_before_the_orders_of_its_step(
    engine: SimEngine, clock: ManualClock, feed: ListCandles, tmp_path: Path
) -> None:
    """A market poll that overran (an outage, retries) may have let the dead man's switch
    lapse: the step re-arms it before it sends anything, or the order would rest unprotected.
    """
    beats: list[float] = []
    since_beat: list[float] = []
    sent, fetch = engine.submit_orders, feed.fetch_candles

    async def recording_submit(orders: object) -> object:
        since_beat.append(clock.monotonic() - beats[-1])
        return await sent(orders)  # type: ignore[arg-type]

    async def slow_fetch(*args: object, **kwargs: object) -> object:
        clock.advance(100)  # each poll takes longer than the heartbeat period
        return await fetch(*args, **kwargs)  # type: ignore[arg-type]

    async def beat() -> None:
        beats.append(clock.monotonic())

    runtime = _runtime(engine, clock, feed, tmp_path / "rt.sqlite")
    runtime.heartbeats.append(beat)
    runtime.config = dataclasses.replace(runtime.config, heartbeat_seconds=60)
    await runtime.start()
    engine.submit_orders = recording_submit  # type: ignore[method-assign,assignment]
    feed.fetch_candles = slow_fetch  # type: ignore[method-assign,assignment]
    await runtime.step()  # the first beat
    await _play(runtime, engine, feed, clock)
    await runtime.shutdown()
    assert len(since_beat) == 2  # the buy and the sell
    assert all(age < 60 for age in since_beat), since_beat
