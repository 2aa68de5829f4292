"""Hundreds of filled orders on one pair never lock the adapter out (Kraken's starter tier).

The starter tier allows 60 open orders per pair. A registry that counted every accepted order
as open until we cancelled it refused order 61 locally while the exchange held none. These
runs fill several hundred market orders on BTC/USD against the paper exchange, over REST only
(no stream tells the adapter of a fill: an OpenOrders reconcile must prune) and over WS v2
(the executions stream closes each order as it fills), and assert no local refusal, ever.

Time runs 200x faster on both sides (``ScaledClock``), so the trading counter's decay of one
point a second lets the hundreds of adds through in a few real seconds with starter numbers.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import OrdersLimitError
from src.core.execution import Order, OrderStatus, OrderType, Side
from src.venues.kraken_paper import PaperExchange
from tests.support.clocks import ScaledClock

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ORDERS = 300
SCALE = 200.0


def _market_buy() -> Order:
    return Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.0001"))


async def _fill_many(adapter: KrakenAdapter, exchange: PaperExchange) -> list[int]:
    held: list[int] = []
    for _ in range(ORDERS):
        [ack] = await adapter.submit_orders([_market_buy()])  # a refusal would raise here
        assert ack.status is OrderStatus.OPEN and ack.order_id
        held.append(adapter.open_orders.count("XBTUSD"))
    assert exchange.engine.open_orders() == []  # every one of them filled
    return held


def _exchange(clock: ScaledClock) -> PaperExchange:
    balances = {"USD": "10000000"}
    return PaperExchange(market="synthetic", tier="starter", clock=clock, initial_balances=balances)


def _adapter(exchange: PaperExchange, clock: ScaledClock, transport: str) -> KrakenAdapter:
    """An adapter on ``exchange`` at the starter tier with Kraken's own counters."""
    return KrakenAdapter(
        exchange.api_key,
        exchange.api_secret,
        exchange.rest_url,
        ws_auth_url=exchange.ws_auth_url,
        gate=KrakenRateLimits("starter", clock=clock, safety_margin=10.0),
        clock=clock,
        order_transport=transport,
    )


async def test_hundreds_of_fills_over_rest_never_hit_the_open_order_limit() -> None:
    clock = ScaledClock(SCALE)
    async with _exchange(clock) as exchange, _adapter(exchange, clock, "rest") as adapter:
        held = await _fill_many(adapter, exchange)
        # No reply tells a REST client of a fill: the registry grows until a reconcile
        # with OpenOrders prunes it, and never past the tier's limit.
        assert max(held) <= 60  # the starter tier's limit per pair
        assert min(held[60:]) < 60
        assert await adapter.reconcile_open_orders() == 0


async def test_hundreds_of_fills_over_websocket_close_as_they_fill() -> None:
    clock = ScaledClock(SCALE)
    async with _exchange(clock) as exchange, _adapter(exchange, clock, "auto") as adapter:
        await adapter.connect_websocket()
        held = await _fill_many(adapter, exchange)
        assert adapter.last_order_transport == "websocket"
        # The executions stream reports each fill: the registry stays near empty.
        deadline = time.monotonic() + 5
        while adapter.open_orders.count("XBTUSD") and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert adapter.open_orders.count("XBTUSD") == 0
        assert max(held) < 10


async def test_a_refusal_is_only_believed_after_asking_the_exchange() -> None:
    clock = ScaledClock(SCALE)
    async with _exchange(clock) as exchange, _adapter(exchange, clock, "rest") as adapter:
        resting = [
            Order(
                symbol="BTC/USD",
                side=Side.BUY,
                order_type=OrderType.LIMIT,
                quantity=Decimal("0.001"),
                limit_price=Decimal("1000"),
            )
            for _ in range(60)
        ]
        for order in resting:
            await adapter.submit_orders([order])
        assert len(exchange.engine.open_orders()) == 60
        with pytest.raises(OrdersLimitError, match="60 open orders"):
            await adapter.submit_orders([_market_buy()])  # really 60 open: refused
        assert len(exchange.engine.open_orders()) == 60  # and nothing was sent
