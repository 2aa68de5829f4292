"""The fill window the runtime relies on, against the paper exchange over loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.core.execution import Order, Side
from src.venues.kraken_paper import PaperExchange

pytestmark = [pytest.mark.integration]


async def test_fills_since_returns_exactly_the_newer_fills() -> None:
    clock = ManualClock(wall_start=datetime(2024, 3, 1, tzinfo=UTC))
    async with (
        PaperExchange(
            rate_limits=False,
            auto_tick=False,
            clock=clock,
            initial_balances={"USD": 10**6, "BTC": 10},
        ) as ex,
        KrakenAdapter(
            api_key=ex.api_key, api_secret=ex.api_secret, base_url=ex.rest_url, gate=NullGate()
        ) as ad,
    ):
        for i in range(9):
            side = Side.BUY if i % 2 == 0 else Side.SELL
            await ad.submit_orders([Order(symbol="BTC/USD", side=side, quantity=Decimal("0.001"))])
            clock.advance(600 if i % 3 == 2 else 1)  # three bursts, ten minutes apart
        everything = await ad.get_fills()
        assert len(everything) == 9
        for k in range(9):
            since = everything[k].timestamp
            window = await ad.get_fills(since)
            assert [f.fill_id for f in window] == [f.fill_id for f in everything[k:]]
        after_all = everything[-1].timestamp + timedelta(seconds=1)
        assert await ad.get_fills(after_all) == []
