"""Kraken Futures: KrakenFuturesAdapter against the local futures paper venue.

Futures are margined: a buy opens a position and moves cash only by its fee, so the control
says ``margined = True`` and the balance test checks that instead of spot's base-up/quote-down.
The malformed reply goes through ``FaultProxy``; a lost submit reply and a dropped fill stream
are the venue's own fault knobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from src.core.execution import Order, OrderType, Side
from tests.conformance.proxy import FaultProxy
from tests.conformance.venue import Venue


@dataclass
class FuturesPaperControl:
    """Venue controls backed by the futures paper venue."""

    exchange: Any  # src.venues.kraken_futures_paper.FuturesPaperExchange
    proxy: FaultProxy
    symbol: str = "PF_XBTUSD"
    base_asset: str = "BTC"
    quote_asset: str = "USD"
    reports_positions: bool = True
    margined: bool = True
    fill_timeout: float = 10.0
    _stream_down: bool = False

    def resting_buy(self, quantity: Decimal | None = None) -> Order:
        return Order(
            symbol=self.symbol,
            side=Side.BUY,
            quantity=quantity or Decimal("0.01"),
            order_type=OrderType.LIMIT,
            limit_price=Decimal(36000),  # 60 % of the 60,000 index: rests
        )

    def marketable_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal("0.001"))

    def oversized_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal(50))  # 3M USD on 10k

    async def fill_partially(self, order_id: str, quantity: Decimal) -> None:
        order = self.exchange.engine.orders[order_id]
        self.exchange.drive(self.symbol, "sell", quantity, order.limit_price)
        if self._stream_down:
            # The fill above happened while the stream was down; now let it come back.
            await asyncio.sleep(0.05)
            self.exchange.faults.drop_private_ws = False
            self._stream_down = False

    async def lose_next_submit_reply(self) -> None:
        self.exchange.faults.lost_reply_next = 1

    async def malform_next_account_reply(self) -> None:
        self.proxy.malform_next("/derivatives/api/v3/accounts")

    async def drop_stream(self) -> None:
        self.exchange.faults.drop_private_ws = True
        self._stream_down = True
        await self.exchange.ws_hub.drop_private()


@asynccontextmanager
async def kraken_futures_venue() -> AsyncIterator[Venue]:
    """Start a futures paper venue, a fault proxy and an adapter pointed through it."""
    from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
    from src.venues.kraken_futures_paper import FuturesPaperExchange

    async with (
        FuturesPaperExchange(seed=1, auto_tick=False, rate_limits=False) as exchange,
        FaultProxy(exchange.rest_url) as proxy,
        KrakenFuturesAdapter(
            exchange.api_key,
            exchange.api_secret,
            proxy.url,
            ws_url=exchange.ws_url,
            settings=KrakenFuturesSettings(environment="demo"),
        ) as engine,
    ):
        engine.fill_poll_interval = 0.1
        yield Venue("kraken_futures", engine, FuturesPaperControl(exchange, proxy))
        assert not proxy.rules, f"a fault was armed but never hit: {proxy.rules}"
