"""Alpaca: AlpacaAdapter against the local Alpaca simulator (``src.venues.alpaca_sim``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.execution import Order, OrderType, Side
from src.venues.alpaca_sim import AlpacaSim
from tests.conformance.venue import Venue


@dataclass
class AlpacaSimControl:
    """Venue controls backed by the simulator's own knobs."""

    sim: AlpacaSim
    symbol: str = "AAPL"
    base_asset: str = "AAPL"
    quote_asset: str = "USD"
    reports_positions: bool = True
    fill_timeout: float = 5.0

    def resting_buy(self, quantity: Decimal | None = None) -> Order:
        return Order(
            symbol=self.symbol,
            side=Side.BUY,
            quantity=quantity or Decimal(10),
            order_type=OrderType.LIMIT,
            limit_price=Decimal("150.00"),  # market is 190
        )

    def marketable_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal(3))

    def oversized_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal(1_000_000))

    async def fill_partially(self, order_id: str, quantity: Decimal) -> None:
        self.sim.fill(order_id, quantity)

    async def lose_next_submit_reply(self) -> None:
        self.sim.lose_next_reply("POST", "/v2/orders")

    async def malform_next_account_reply(self) -> None:
        self.sim.malform_next_reply("GET", "/v2/account")

    async def drop_stream(self) -> None:
        self.sim.drop_streams()


@asynccontextmanager
async def alpaca_venue() -> AsyncIterator[Venue]:
    """Start a simulator and an adapter pointed at it."""
    async with (
        AlpacaSim() as sim,
        AlpacaAdapter(
            api_key=sim.api_key,
            api_secret=sim.api_secret,
            base_url=sim.base_url,
            stream_backoff=0.05,
        ) as engine,
    ):
        yield Venue("alpaca", engine, AlpacaSimControl(sim))
        armed = sim.faults.lose_reply + sim.faults.malform_reply + sim.faults.fail
        assert not armed, f"a fault was armed but never hit: {armed}"
