"""Helpers for trading-runtime tests of every kind: instruments, a clock, a SimEngine, candles.

The fixtures are re-exported by the ``conftest.py`` of ``tests/unit/runtime`` and
``tests/integration/runtime``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.core.clock import ManualClock
from src.core.instruments import Instrument
from src.core.market_data import Candle
from src.venues.sim_engine import SimEngine

START = datetime(2024, 1, 1, tzinfo=UTC)


class ListCandles:
    """A CandleSource over a fixed list, releasing candles as a test advances it."""

    def __init__(self, candles: Sequence[Candle], released: int = 0) -> None:
        self.candles = list(candles)
        self.released = released

    async def fetch_candles(
        self, symbol: str, interval_minutes: int, since: datetime | None = None
    ) -> list[Candle]:
        return [
            c
            for c in self.candles[: self.released]
            if c.symbol == symbol and (since is None or c.timestamp >= since)
        ]


def make_candles(
    symbol: str, closes: Sequence[float | int], start: datetime = START
) -> list[Candle]:
    out = []
    for i, close in enumerate(closes):
        price = Decimal(str(close))
        out.append(
            Candle(
                symbol=symbol,
                interval_minutes=1,
                timestamp=start + timedelta(minutes=i),
                open=price,
                high=price,
                low=price,
                close=price,
                volume=Decimal(1),
            )
        )
    return out


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
