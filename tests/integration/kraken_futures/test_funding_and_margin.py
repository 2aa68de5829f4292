"""Funding, margin and liquidation on the venue, seen through the adapter."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.execution import Order, OrderType, Side
from src.venues.kraken_futures_paper import FuturesPaperExchange

D = Decimal


async def test_funding_payment_reaches_the_account_and_the_log(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.1")])
    venue.lifecycle.current["PF_XBTUSD"] = D("0.0001")
    before = (await adapter.get_account())["USD"]
    at = venue.lifecycle.next_funding
    assert at is not None
    venue.lifecycle.fund(at)
    after = (await adapter.get_account())["USD"]
    assert before - after == D("0.1") * D("0.0001") * D(60000)
    [payment] = await adapter.get_funding_payments()
    assert payment.symbol == "PF_XBTUSD" and payment.amount == after - before
    assert payment.absolute_rate == D(6) and payment.quantity == D("0.1")
    [rate] = await adapter.get_funding_rates("PF_XBTUSD")
    assert rate.relative_rate == D("0.0001") and rate.timestamp == at - timedelta(hours=1)


async def test_margin_figures_and_liquidation(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="5")])
    margin = (await adapter.get_margin())["flex"]
    assert margin.initial_margin == D(5) * D(60000) * D("0.02")
    assert margin.maintenance_margin == D(5) * D(60000) * D("0.01")
    [position] = await adapter.get_futures_positions()
    assert position.liquidation_price is not None
    assert position.initial_margin == margin.initial_margin
    # resting orders count towards initial margin with orders (at their worst case)
    await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="1",
                                       order_type=OrderType.LIMIT, limit_price=40000)])  # fmt: skip
    margin = (await adapter.get_margin())["flex"]
    assert margin.initial_margin_with_orders == D(6) * D(60000) * D("0.02")
    venue.set_index("XBT", int(position.liquidation_price) - 50)
    assert await adapter.get_positions() == []
    assert await adapter.get_orders() == []  # a liquidation cancels the group's orders
    fills = await adapter.get_fills()
    assert fills[-1].quantity == 5 and fills[-1].side is Side.SELL
