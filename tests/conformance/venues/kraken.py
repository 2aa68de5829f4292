"""Kraken: KrakenAdapter against the local paper exchange (``src.venues.kraken_paper``).

The paper exchange has no knob for a malformed REST reply, so that control goes through
``FaultProxy`` between adapter and exchange. ``stream_fills`` reads WS v2 executions straight
from the exchange; a dropped stream is the exchange closing the private WebSocket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from src.core.execution import Order, OrderType, Side
from tests.conformance.proxy import FaultProxy
from tests.conformance.venue import Venue


@dataclass
class PaperExchangeControl:
    """Venue controls backed by the paper exchange's market driver and fault knobs."""

    exchange: Any  # src.venues.kraken_paper.PaperExchange
    proxy: FaultProxy
    symbol: str = "BTC/USD"
    base_asset: str = "BTC"
    quote_asset: str = "USD"
    reports_positions: bool = False  # spot: get_positions() lists margin positions only
    fill_timeout: float = 10.0

    _rest_price: Decimal | None = None
    _stream_down: bool = False

    def _resting_price(self) -> Decimal:
        # Fixed at first use: fills printed by ``fill_partially`` move the paper market's last.
        if self._rest_price is None:
            from src.venues.kraken_paper.pairs import resolve_pair

            last = Decimal(str(self.exchange.markets[resolve_pair(self.symbol).key].last))
            self._rest_price = (last * Decimal("0.6")).quantize(Decimal("0.1"), ROUND_DOWN)
        return self._rest_price

    def resting_buy(self, quantity: Decimal | None = None) -> Order:
        price = self._resting_price()
        return Order(
            symbol=self.symbol,
            side=Side.BUY,
            quantity=quantity or Decimal("0.01"),
            order_type=OrderType.LIMIT,
            limit_price=price,
        )

    def marketable_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal("0.001"))

    def oversized_buy(self) -> Order:
        return Order(symbol=self.symbol, side=Side.BUY, quantity=Decimal(50))  # ~50x the USD

    async def fill_partially(self, order_id: str, quantity: Decimal) -> None:
        order = self.exchange.engine.orders[order_id]
        # A market sell printed at the order's limit price executes against it.
        self.exchange.drive(self.symbol, order.limit_price, quantity, "sell")
        if self._stream_down:
            await self._restore_stream_after_fill()

    async def lose_next_submit_reply(self) -> None:
        self.exchange.faults.lost_reply_next = 1

    async def malform_next_account_reply(self) -> None:
        self.proxy.malform_next("/0/private/Balance")

    async def drop_stream(self) -> None:
        # Every WS message is dropped (closing its socket) until the next fill has happened
        # and a drop has been seen after it: that fill's execution report is lost with the
        # connection (or never sent, reconnects being refused meanwhile), so it happens while
        # the stream is down however slow the machine is.
        self.exchange.faults.ws_drop_rate = 1.0
        self._stream_down = True

    async def _restore_stream_after_fill(self) -> None:
        faults = self.exchange.faults
        seen = faults.ws_drops
        for _ in range(200):  # bounded: 10 s
            if faults.ws_drops > seen:
                break
            await asyncio.sleep(0.05)
        faults.ws_drop_rate = 0.0
        self._stream_down = False


@asynccontextmanager
async def kraken_venue() -> AsyncIterator[Venue]:
    """Start a paper exchange, a fault proxy and a KrakenAdapter pointed through it."""
    from src.brokers.kraken_adapter import KrakenAdapter
    from src.venues.kraken_paper import PaperExchange

    async with (
        PaperExchange(market="replay", seed=1, auto_tick=False, rate_limits=False) as exchange,
        FaultProxy(exchange.rest_url) as proxy,
        KrakenAdapter(
            api_key=exchange.api_key,
            api_secret=exchange.api_secret,
            base_url=proxy.url,
            ws_url=exchange.ws_url,
            ws_auth_url=exchange.ws_auth_url,
        ) as engine,
    ):
        engine.fill_poll_interval = 0.1
        yield Venue("kraken", engine, PaperExchangeControl(exchange, proxy))
        assert not proxy.rules, f"a fault was armed but never hit: {proxy.rules}"
