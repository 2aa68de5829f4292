"""Fixtures for the trading-runtime unit tests: instruments, a manual clock, a SimEngine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.core.clock import ManualClock
from src.core.instruments import Instrument
from src.venues.sim_engine import SimEngine
from tests.support.runtime import START


@pytest.fixture
def btc() -> Instrument:
    # Kraken's XBTUSD precision: 1 tick = 0.1 USD, 8 volume decimals, ordermin 0.0001, costmin 0.5
    return Instrument(
        symbol="BTC/USD",
        base="BTC",
        quote="USD",
        price_tick=Decimal("0.1"),
        lot_step=Decimal("0.00000001"),
        min_quantity=Decimal("0.0001"),
        min_cost=Decimal("0.5"),
    )


@pytest.fixture
def eth() -> Instrument:
    return Instrument(
        symbol="ETH/USD",
        base="ETH",
        quote="USD",
        price_tick=Decimal("0.01"),
        lot_step=Decimal("0.00000001"),
        min_quantity=Decimal("0.002"),
        min_cost=Decimal("0.5"),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0, wall_start=START)


@pytest.fixture
def engine(btc: Instrument, eth: Instrument, clock: ManualClock) -> SimEngine:
    sim = SimEngine(
        {"BTC/USD": btc, "ETH/USD": eth},
        {"USD": Decimal(10_000), "BTC": Decimal("0.5"), "ETH": Decimal(5)},
        clock=clock,
    )
    sim.set_price("BTC/USD", Decimal(40_000))
    sim.set_price("ETH/USD", Decimal(2_000))
    return sim
