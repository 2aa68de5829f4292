"""The same runtime drives Alpaca: the moving-average cross on the local Alpaca simulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.clock import ManualClock
from src.core.kill_switch import KillSwitch
from src.core.market_data import Quote
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig
from src.core.strategy import MovingAverageCross
from src.venues.alpaca_sim import AlpacaSim
from tests.support.runtime import ListCandles, make_candles

pytestmark = [pytest.mark.integration]
CLOSES = [40000, 40000, 40000, 40000, 41600, 42000, 43000, 42000, 40000, 38400, 38000]


class SimQuotes:
    def __init__(self, sim: AlpacaSim, clock: ManualClock) -> None:
        self.sim, self.clock, self.price = sim, clock, Decimal(0)

    async def get_quote(self, symbol: str) -> Quote:
        return Quote(symbol=symbol, bid=self.price, ask=self.price, timestamp=self.clock.now())


async def test_runtime_trades_on_alpaca_and_books_match(tmp_path: Path, clock: ManualClock) -> None:
    feed = ListCandles(make_candles("BTC/USD", CLOSES))
    async with AlpacaSim(cash=Decimal(10_000)) as sim:
        quotes = SimQuotes(sim, clock)
        async with AlpacaAdapter(
            api_key=sim.api_key, api_secret=sim.api_secret, base_url=sim.base_url
        ) as adapter:
            runtime = TradingRuntime(
                adapter, MovingAverageCross(["BTC/USD"], fast=2, slow=4),
                store=OrderStore(tmp_path / "alpaca.sqlite"),
                risk=RiskManager(RiskLimits(kill_file=None), clock, KillSwitch()),
                clock=clock, candles=feed, quotes=quotes,
                config=RuntimeConfig(sizing=SizingConfig(capital_per_pair=Decimal(200))),
                status_sink=lambda line: None,
            )  # fmt: skip
            sim.state.set_price("BTC/USD", Decimal(CLOSES[0]))
            quotes.price = Decimal(CLOSES[0])
            await runtime.start()
            for close in CLOSES:
                sim.state.set_price("BTC/USD", Decimal(close))
                quotes.price = Decimal(close)
                feed.released += 1
                await runtime.step()
                clock.advance(60)
            await runtime.shutdown()
            venue_fills = await adapter.get_fills()
            positions = await adapter.get_positions()

    ours = runtime.store.fills()
    assert [f.side.value for f in ours] == ["buy", "sell"]
    assert sorted(f.fill_id for f in ours) == sorted(f.fill_id for f in venue_fills)
    held = {p.symbol: p.quantity for p in positions}
    assert runtime.portfolio.position("BTC/USD").quantity == held.get("BTC/USD", Decimal(0))
