"""A bot trading on the loopback paper exchange with its dashboard served: for the ops tests.

The runtime runs its real loop (``runtime.run``) on real time against ``PaperExchange``
through ``KrakenAdapter``; a scripted strategy buys when a test releases a candle with a
target, so a test decides when a position exists. The end-to-end browser test uses it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from src.app.venue import KrakenQuotes
from src.brokers.kraken import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import SystemClock
from src.core.execution import Order, OrderType, Side
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig
from src.ops.dashboard.service import Dashboard
from src.ops.dashboard.settings import DashboardSettings
from src.venues.kraken_paper import PaperExchange
from tests.support.paper import PaperOptions, start_paper
from tests.support.runtime import ListCandles
from tests.support.waiting import eventually
from tests.support.working_orders import Scripted

SYMBOL, PAIR = "BTC/USD", "XBTUSD"
PRICE = Decimal(30_000)


def _bar(at: datetime) -> Candle:
    return Candle(symbol=SYMBOL, interval_minutes=1, timestamp=at, open=PRICE, high=PRICE,
                  low=PRICE, close=PRICE, volume=Decimal(1))  # fmt: skip


@dataclass
class PaperBot:
    """A running paper bot and its dashboard."""

    exchange: PaperExchange
    adapter: KrakenAdapter
    runtime: TradingRuntime
    strategy: Scripted
    candles: ListCandles
    dashboard: Dashboard
    db: Path
    announced: list[str] = field(default_factory=list)

    @property
    def token(self) -> str:
        return self.dashboard.token.get_secret_value()

    async def signal(self, target: Decimal | None) -> None:
        """Close one more candle with ``target``; the running loop acts on it."""
        self.strategy.target = target
        at = self.candles.candles[-1].timestamp + timedelta(minutes=1)
        self.candles.candles.append(_bar(at))
        self.candles.released = len(self.candles.candles)
        await eventually(lambda: self.runtime.last_candle.get(SYMBOL) == at, "the candle seen")

    async def hold(self) -> Decimal:
        """Buy the target-1 position (200 USD) and wait until its fill is booked."""
        await self.signal(Decimal(1))
        return await eventually(
            lambda: self.runtime.portfolio.position(SYMBOL).quantity, "a position", timeout=15
        )

    async def rest_order(self, price: str = "20000") -> str:
        """Place a resting buy straight on the account (as a person would); return its id."""
        order = Order(symbol=SYMBOL, side=Side.BUY, quantity=Decimal("0.001"),
                      order_type=OrderType.LIMIT, limit_price=Decimal(price))  # fmt: skip
        (ack,) = await self.adapter.submit_orders([order])
        assert ack.order_id is not None
        return ack.order_id

    async def open_orders(self) -> list[Any]:
        """The exchange's open orders of the account."""
        return list(await self.adapter.get_orders("open"))

    async def btc(self) -> Decimal:
        """The account's BTC balance at the exchange."""
        return (await self.adapter.get_account())["BTC"]


@asynccontextmanager
async def paper_bot(
    tmp_path: Path, *, limits: RiskLimits | None = None, **dashboard: Any
) -> AsyncIterator[PaperBot]:
    """Start the exchange, the bot (``runtime.run`` in a task) and its dashboard on port 0."""
    options = PaperOptions(prices={PAIR: str(PRICE)}, seed=16, rate_limits=False)
    clock = SystemClock()
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    candles = ListCandles([_bar(start + timedelta(minutes=i)) for i in range(5)], released=5)
    db = tmp_path / "runtime" / "paper.sqlite"
    async with start_paper(options) as exchange, KrakenAdapter(
        api_key=exchange.api_key, api_secret=exchange.api_secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=exchange.ws_auth_url, gate=NullGate(),
    ) as adapter:  # fmt: skip
        strategy = Scripted()
        runtime = TradingRuntime(
            adapter, strategy, store=OrderStore(db),
            risk=RiskManager(limits or RiskLimits(kill_file=None), clock, KillSwitch()),
            clock=clock, candles=candles, quotes=KrakenQuotes(adapter),
            config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=Decimal(200)),
                                 poll_seconds=0.1, reconcile_seconds=1.0, status_seconds=3600),
            status_sink=lambda line: None,
        )  # fmt: skip
        settings = DashboardSettings(_env_file=None, port=0, sample_seconds=0.2,
                                     refresh_seconds=0.5, **dashboard)  # fmt: skip
        announced: list[str] = []
        async with Dashboard(runtime, settings, announce=announced.append) as dash:
            task = asyncio.create_task(runtime.run())
            try:
                await eventually(lambda: SYMBOL in runtime.data_at, "the bot started", timeout=15)
                yield PaperBot(exchange, adapter, runtime, strategy, candles, dash, db, announced)
            finally:
                runtime.stop()
                await asyncio.wait_for(task, 30)
        runtime.store.close()
