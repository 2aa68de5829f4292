"""SimEngine: the in-memory engine is its own venue; the levers are its test hooks.

It has no wire, so the three levers that act on one (a lost reply, a malformed reply, a
dropped stream) have nothing to act on: pulling one skips the test for this venue, saying why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn

import pytest

from src.core.clock import SystemClock
from src.core.execution import Order, OrderType, Side
from src.core.instruments import Instrument
from src.venues.sim_engine import SimEngine
from tests.conformance.venue import Venue

PRICE = Decimal(40_000)
NO_WIRE = "SimEngine runs in-process: there is no {} to {}"


@dataclass
class SimControl:
    """Venue controls backed by ``SimEngine.fill`` and its prices."""

    sim: SimEngine
    symbol: str = "BTC/USD"
    base_asset: str = "BTC"
    quote_asset: str = "USD"
    reports_positions: bool = False  # spot balances only, like Kraken
    fill_timeout: float = 1.0

    def resting_buy(self, quantity: Decimal | None = None) -> Order:
        return Order(
            symbol=self.symbol,
            side=Side.BUY,
            quantity=quantity or Decimal("0.01"),
            order_type=OrderType.LIMIT,
            limit_price=PRICE * Decimal("0.6"),
        )

    def marketable_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal("0.001"))

    def oversized_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal(50))  # 2M USD; has 10k

    async def fill_partially(self, order_id: str, quantity: Decimal) -> None:
        self.sim.fill(order_id, quantity)

    async def lose_next_submit_reply(self) -> NoReturn:
        pytest.skip(NO_WIRE.format("reply", "lose"))

    async def malform_next_account_reply(self) -> NoReturn:
        pytest.skip(NO_WIRE.format("reply", "malform"))

    async def drop_stream(self) -> NoReturn:
        pytest.skip(NO_WIRE.format("connection", "drop"))


@asynccontextmanager
async def sim_venue() -> AsyncIterator[Venue]:
    """A SimEngine with Kraken's BTC/USD precision, 10,000 USD and 0.5 BTC, on the real clock."""
    btc = Instrument(
        symbol="BTC/USD",
        base="BTC",
        quote="USD",
        price_tick=Decimal("0.1"),
        lot_step=Decimal("0.00000001"),
        min_quantity=Decimal("0.0001"),
        min_cost=Decimal("0.5"),
    )
    balances = {"USD": Decimal(10_000), "BTC": Decimal("0.5")}
    async with SimEngine({"BTC/USD": btc}, balances, clock=SystemClock()) as sim:
        sim.set_price("BTC/USD", PRICE)
        yield Venue("sim", sim, SimControl(sim))
