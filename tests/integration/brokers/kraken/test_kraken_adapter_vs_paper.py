"""KrakenAdapter against the local paper exchange over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core import errors as core
from src.core.execution import Order, OrderStatus, OrderType, Side

paper = pytest.importorskip("src.venues.kraken_paper")
pytestmark = pytest.mark.integration


@pytest.fixture
async def venue() -> AsyncIterator[tuple[Any, KrakenAdapter]]:
    async with (
        paper.PaperExchange(market="replay", seed=1) as ex,
        KrakenAdapter(api_key=ex.api_key, api_secret=ex.api_secret, base_url=ex.rest_url) as ad,
    ):
        yield ex, ad


async def _bid(adapter: KrakenAdapter) -> Decimal:
    key = (await adapter.load_symbols()).resolve("BTC/USD").key
    ticker = await adapter.get_ticker(key)
    row = ticker.get(key) or next(iter(ticker.values()))
    return Decimal(row["b"][0])


async def test_resting_order_lifecycle(venue: tuple[Any, KrakenAdapter]) -> None:
    _, adapter = venue
    balances = await adapter.get_account()
    assert balances["BTC"] == Decimal("0.5") and balances["XXBT"] == Decimal("0.5")
    price = (await _bid(adapter)) * Decimal("0.5") + Decimal("0.03")  # far below, off-tick
    order = Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity="0.00123456789",
        order_type=OrderType.LIMIT,
        limit_price=price,
    )
    [ack] = await adapter.submit_orders([order])
    assert ack.accepted and ack.order_id
    [listed] = [o for o in await adapter.get_orders(status="open") if o.order_id == ack.order_id]
    assert listed.client_order_id == order.client_order_id
    assert listed.quantity == Decimal("0.00123456")
    assert listed.limit_price is not None and listed.limit_price <= price
    assert "XBTUSD" in listed.get("descr", {}).get("order", "")
    found = await adapter.find_order(order.client_order_id)
    assert found is not None and found.order_id == ack.order_id
    assert (await adapter.cancel_order(order_id=ack.order_id))["count"] in (1, "1")
    closed = {o.order_id: o for o in await adapter.get_orders(status="closed")}
    assert closed[ack.order_id].status is OrderStatus.CANCELED


async def test_market_order_fills_and_is_reported(venue: tuple[Any, KrakenAdapter]) -> None:
    ex, adapter = venue
    before = ex.now()
    order = Order(symbol="ETH/USD", side=Side.SELL, quantity="0.1", order_type=OrderType.MARKET)
    [ack] = await adapter.submit_orders([order])
    assert ack.accepted
    since = datetime.fromtimestamp(before, UTC) - timedelta(seconds=5)
    fills = [f for f in await adapter.get_fills(since) if f.order_id == ack.order_id]
    assert fills and sum(f.quantity for f in fills) == Decimal("0.1")
    assert all(f.symbol == "ETH/USD" and f.side is Side.SELL for f in fills)


async def test_venue_rejection_and_local_minimum(venue: tuple[Any, KrakenAdapter]) -> None:
    _, adapter = venue
    too_big = Order(
        symbol="BTC/USD",
        side=Side.SELL,
        quantity="50",
        order_type=OrderType.LIMIT,
        limit_price="1000000",
    )
    with pytest.raises(core.InsufficientFundsError) as info:
        await adapter.submit_orders([too_big])
    assert info.value.acks[0].status is OrderStatus.REJECTED  # type: ignore[attr-defined]
    tiny = Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity="0.00000001",
        order_type=OrderType.LIMIT,
        limit_price="100",
    )
    with pytest.raises(core.OrderMinimumError, match="minimum"):
        await adapter.submit_orders([tiny])


async def test_concurrent_signed_calls_never_trip_the_nonce_check(
    venue: tuple[Any, KrakenAdapter],
) -> None:
    _, adapter = venue
    # 14 stays under the starter REST counter (15), which the paper exchange enforces too.
    results = await asyncio.gather(*(adapter.get_balance() for _ in range(14)))
    assert all("ZUSD" in r or "USD" in r for r in results)
