"""The runtime rides the engine's streams: fills reach the books without a poll, polls cover gaps.

Against the real paper exchange over loopback (REST and private WS v2), with the periodic
reconcile pushed an hour away so that any fill the books show before it came by stream or by
a poll the test itself asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from src.brokers.kraken import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock, SystemClock
from src.core.errors import NetworkError
from src.core.execution import Fill, OrderStatus, OrderType, OrderUpdateStream, Side
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import OrderIntent, SizingConfig, Target
from src.core.strategy import MovingAverageCross
from src.venues.kraken_paper import PaperExchange
from src.venues.sim_engine import SimEngine
from tests.support.runtime import ListCandles, make_candles
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

SYMBOL = "BTC/USD"
PRICE = Decimal(30000)
NEVER = 3600.0  # seconds: the periodic reconcile does not run during a test


class FlakyAdapter(KrakenAdapter):
    """The real Kraken adapter, whose fill stream a test can break or hold back.

    ``break_next``: the stream raises instead of yielding its next fill (that fill is lost to
    the stream). ``broken``: every stream fails at once. ``hold``: fills wait while cleared.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.break_next = False
        self.broken = False
        self.hold = asyncio.Event()
        self.hold.set()

    async def stream_fills(self) -> AsyncIterator[Fill]:
        if self.broken:
            raise NetworkError("fill stream unavailable")
        fills = super().stream_fills()
        try:
            async for fill in fills:
                if self.break_next:
                    self.break_next = False
                    raise NetworkError("fill stream broke mid-message")
                await self.hold.wait()
                yield fill
        finally:
            if isinstance(fills, AsyncGenerator):  # close the inner socket now, not at GC
                await fills.aclose()


class Scripted:
    """A strategy whose next target a test sets (None: no opinion, nothing is sent)."""

    symbols = (SYMBOL,)
    interval_minutes = 60
    warmup_candles = 1

    def __init__(self) -> None:
        self.target: Decimal | None = None

    def on_candle(self, candle: Candle) -> list[Target]:
        return [] if self.target is None else [Target(candle.symbol, self.target)]


@dataclass
class Rig:
    """One runtime on one paper exchange, with the runtime's fill polls counted."""

    exchange: PaperExchange
    adapter: FlakyAdapter
    runtime: TradingRuntime
    strategy: Scripted
    candles: ListCandles
    polls: list[int]

    async def next_candle(self, target: Decimal | None = None) -> None:
        """Release one candle at the market price with ``target`` and run one loop step."""
        self.strategy.target = target
        self.candles.released += 1
        await self.runtime.step()

    async def connected(self) -> None:
        """Wait until the fill stream's private socket is up (fills then arrive over it)."""
        await eventually(lambda: self.adapter.order_manager is not None, "private socket")

    def resting_buy(self, quantity: str = "0.001") -> tuple[OrderIntent, Decimal]:
        limit = PRICE - 100
        intent = OrderIntent(SYMBOL, Side.BUY, Decimal(quantity), limit,
                             order_type=OrderType.LIMIT, limit_price=limit)  # fmt: skip
        return intent, limit

    def trade_through(self, price: Decimal, quantity: str = "0.001") -> None:
        """A market sell at ``price``: fills our resting buy there."""
        self.exchange.drive("XBTUSD", price, quantity, "sell")

    async def venue_fills(self) -> list[Fill]:
        return await self.adapter.get_fills()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with PaperExchange(market="synthetic", seed=7, auto_tick=False, rate_limits=False) as ex:
        ex.drive("XBTUSD", str(PRICE))
        async with FlakyAdapter(
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            base_url=ex.rest_url,
            ws_url=ex.ws_url,
            ws_auth_url=ex.ws_auth_url,
            gate=NullGate(),  # what is tested is the order of events, not Kraken's budget
        ) as adapter:
            strategy = Scripted()
            candles = ListCandles(_hourly(50))
            clock = SystemClock()
            runtime = TradingRuntime(
                adapter, strategy, store=OrderStore(tmp_path / "rt.sqlite"),
                risk=RiskManager(RiskLimits(kill_file=None), clock, KillSwitch()),
                clock=clock, candles=candles,
                config=RuntimeConfig(
                    sizing=SizingConfig(capital_per_pair=Decimal(200)), reconcile_seconds=NEVER,
                    gap_poll_seconds=0.0, stream_backoff_seconds=0.05,
                ),
                status_sink=lambda line: None,
            )  # fmt: skip
            polls: list[int] = []
            sync = runtime.oms.sync_fills

            async def counted(since: Any = None) -> tuple[int, int]:
                polls.append(1)
                return await sync(since)

            runtime.oms.sync_fills = counted  # type: ignore[method-assign]
            yield Rig(ex, adapter, runtime, strategy, candles, polls)
            await runtime.feed.stop()


def _hourly(n: int) -> list[Candle]:
    """Flat hourly candles at the market price, the last one an hour ago."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=n)
    flat = {"open": PRICE, "high": PRICE, "low": PRICE, "close": PRICE, "volume": Decimal(1)}
    return [
        Candle(symbol=SYMBOL, interval_minutes=60, timestamp=start + timedelta(hours=i), **flat)
        for i in range(n)
    ]


def _position(rig: Rig) -> Decimal:
    return rig.runtime.portfolio.position(SYMBOL).quantity


async def test_fill_reaches_the_portfolio_by_stream_before_any_poll(rig: Rig) -> None:
    runtime = rig.runtime
    await runtime.start()
    await rig.connected()
    await rig.next_candle()  # one loop step that sends nothing
    polls = len(rig.polls)
    assert not runtime.feed.gap_open

    # A resting buy, filled later by the market: no order call of ours is involved.
    intent, limit = rig.resting_buy()
    order = await runtime.oms.submit(intent)
    assert order.status is OrderStatus.OPEN
    rig.trade_through(limit)
    await eventually(lambda: _position(rig) == Decimal("0.001"), "the fill in the portfolio")
    assert len(rig.polls) == polls, "a poll ran: the fill did not come by stream"
    assert runtime.feed.fills.applied == 1 and runtime.stats.polled_fills == 0
    assert runtime.oms.live == {}  # the fill completed the order

    # The stream now delivers, so the loop does not poll after a market order either.
    assert runtime.feed.streaming
    await rig.next_candle(Decimal(1))  # fully invested: a market buy of about 200 USD
    assert runtime.stats.orders_sent == 1
    await eventually(lambda: _position(rig) > Decimal("0.006"), "the market order's fill")
    assert len(rig.polls) == polls
    assert runtime.feed.fills.applied == 2
    assert rig.adapter.last_order_transport == "websocket"  # orders ride the same socket
    venue = await rig.venue_fills()
    assert sorted(f.fill_id for f in runtime.store.fills()) == sorted(f.fill_id for f in venue)
    assert "stream=up" in runtime.status_line()


async def test_stream_failure_falls_back_to_polling_without_losing_a_fill(rig: Rig) -> None:
    runtime, adapter = rig.runtime, rig.adapter
    await runtime.start()
    await rig.connected()
    adapter.break_next = True
    intent, limit = rig.resting_buy()
    await runtime.oms.submit(intent)
    rig.trade_through(limit)  # the stream receives this fill and dies instead of yielding it
    await eventually(lambda: runtime.feed.fills.failures == 1, "the stream failure")
    assert _position(rig) == 0  # lost by the stream ...
    await eventually(lambda: runtime.feed.fills.starts == 2, "the restart after backoff")
    assert runtime.feed.gap_open
    await rig.next_candle()  # one loop step that sends nothing
    assert _position(rig) == Decimal("0.001")  # ... and found by the poll that closes the gap
    assert runtime.stats.polled_fills == 1 and runtime.feed.fills.applied == 0
    assert not runtime.feed.gap_open

    # Restarted, the stream carries the next fill again.
    await rig.connected()
    intent, limit = rig.resting_buy("0.002")
    await runtime.oms.submit(intent)
    rig.trade_through(limit, "0.002")
    await eventually(lambda: _position(rig) == Decimal("0.003"), "the next fill by stream")
    assert runtime.feed.fills.applied == 1 and runtime.stats.polled_fills == 1
    venue = await rig.venue_fills()
    assert sorted(f.fill_id for f in runtime.store.fills()) == sorted(f.fill_id for f in venue)


async def test_a_stream_that_never_works_leaves_the_runtime_polling(rig: Rig) -> None:
    runtime = rig.runtime
    rig.adapter.broken = True
    assert runtime.feed.status() == "off"
    await runtime.start()
    await eventually(lambda: runtime.feed.fills.failures >= 2, "restarts with backoff")
    assert not runtime.feed.streaming and "stream=down[fills]" in runtime.status_line()
    await rig.next_candle(Decimal(1))  # a market buy: polled right after it, as before streams
    assert _position(rig) > 0
    assert runtime.stats.polled_fills == 1 and runtime.feed.fills.applied == 0
    assert rig.adapter.last_order_transport == "rest"  # no private socket: orders over REST
    await runtime.shutdown()  # never crashed; stops cleanly
    # The shutdown line reads "stopped", not "off": off is a session that never streamed.
    assert runtime.feed.status() == "stopped" and "stream=stopped" in runtime.status_line()


async def test_a_fill_on_both_stream_and_poll_is_counted_once(rig: Rig) -> None:
    runtime, adapter = rig.runtime, rig.adapter
    await runtime.start()
    await rig.connected()

    # Poll first, stream second: the stream holds the fill until the poll has applied it.
    adapter.hold.clear()
    intent, limit = rig.resting_buy()
    await runtime.oms.submit(intent)
    rig.trade_through(limit)
    await eventually(lambda: len(rig.exchange.engine.trades) == 1, "the trade at the venue")
    assert await runtime.poll_fills() == 1
    adapter.hold.set()
    await eventually(lambda: runtime.feed.fills.events == 1, "the same fill by stream")
    # Stream first, poll second.
    intent, limit = rig.resting_buy("0.002")
    await runtime.oms.submit(intent)
    rig.trade_through(limit, "0.002")
    await eventually(lambda: runtime.feed.fills.applied == 1, "the second fill by stream")
    assert await runtime.poll_fills() == 0
    await runtime.reconcile()  # the full safety net re-reads both once more

    venue = await rig.venue_fills()
    ours = runtime.store.fills()
    assert len(ours) == len(venue) == 2 == runtime.portfolio.trades
    assert sorted(f.fill_id for f in ours) == sorted(f.fill_id for f in venue)
    rebuilt = Portfolio()
    for fill in venue:
        rebuilt.commit(*rebuilt.preview(fill))
    assert runtime.portfolio.position(SYMBOL) == rebuilt.position(SYMBOL)
    assert _position(rig) == Decimal("0.003")
    assert runtime.portfolio.fees == sum((f.fee for f in venue), Decimal(0)) == rebuilt.fees
    assert runtime.stats.balance_differences == 0


async def test_sim_engine_fills_come_by_stream_and_the_backtest_stays_deterministic(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    assert not isinstance(engine, OrderUpdateStream)  # fills only: updates by reconcile
    closes = [100, 100, 100, 100, 101, 103, 106, 110, 109, 105, 100, 96, 93, 92]
    feed = ListCandles(make_candles(SYMBOL, [c * 400 for c in closes]))
    runtime = TradingRuntime(
        engine, MovingAverageCross([SYMBOL], fast=2, slow=4), store=OrderStore(tmp_path / "s.db"),
        risk=RiskManager(RiskLimits(kill_file=None), clock, KillSwitch()), clock=clock,
        candles=feed, quotes=engine, status_sink=lambda line: None,
        config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=Decimal(200))),
    )  # fmt: skip
    await runtime.start()
    assert runtime.feed.orders is None and runtime.feed.consuming
    positions = []
    for candle in feed.candles:
        engine.set_price(SYMBOL, candle.close)
        feed.released += 1
        await runtime.step()
        positions.append(runtime.portfolio.position(SYMBOL).quantity)
        clock.advance(60)
    await runtime.shutdown()
    buy, _ = engine.fills
    # Each fill is in the books by the end of the step that sent its order.
    assert positions.count(buy.quantity) >= 1 and positions[-1] == 0
    assert runtime.feed.fills.events == 2  # both came by stream (the first also by poll)
    assert runtime.portfolio.trades == 2 and len(runtime.store.fills()) == 2
