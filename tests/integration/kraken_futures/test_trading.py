"""Orders through the adapter against the paper venue: every type, edit, cancel, batch, dead man."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.derivatives import DerivativePosition
from src.core.errors import InvalidOrderError, UnknownOrderError
from src.core.execution import Order, OrderStatus, OrderType, Side, TimeInForce
from src.venues.kraken_futures_paper import FuturesPaperExchange

D = Decimal


def limit(side: Side, price: str, qty: str = "0.01", **kw: object) -> Order:
    return Order(symbol="PF_XBTUSD", side=side, quantity=D(qty), order_type=OrderType.LIMIT,
                 limit_price=D(price), **kw)  # fmt: skip


async def test_account_starts_with_the_demo_collateral(adapter: KrakenFuturesAdapter) -> None:
    balances = await adapter.get_account()
    assert balances["USD"] == D(10000) and balances["BTC"] == D("0.5")
    margin = await adapter.get_margin()
    assert margin["flex"].available_margin == D(10000)
    assert margin["fi_xbtusd"].currency == "BTC"
    assert await adapter.get_positions() == []


async def test_market_buy_opens_a_long_and_pays_the_taker_fee(
    adapter: KrakenFuturesAdapter,
) -> None:
    [ack] = await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.01")])
    assert ack.status is OrderStatus.FILLED
    [fill] = await adapter.get_fills()
    assert fill.quantity == D("0.01") and fill.fee == fill.price * D("0.01") * D("0.0005")
    assert fill.fee_currency == "USD"
    [position] = await adapter.get_positions()
    assert isinstance(position, DerivativePosition)
    assert position.quantity == D("0.01") and position.average_price == fill.price
    assert position.mark_price == D(60000)
    assert position.liquidation_price is None  # 600 USD of BTC on 10,000 USD: never liquidated
    assert (await adapter.get_account())["USD"] == D(10000) - fill.fee


async def test_short_then_cover_realises_pnl(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.SELL, quantity="0.1")])
    [position] = await adapter.get_futures_positions()
    assert position.quantity == D("-0.1") and position.side is Side.SELL
    # a short always has a liquidation price: (entry + collateral / size) / (1 + mm rate)
    assert position.liquidation_price is not None and position.liquidation_price > 150000
    venue.set_index("XBT", 58000)
    [position] = await adapter.get_futures_positions()
    assert position.unrealized_pnl is not None and position.unrealized_pnl > 0
    [ack] = await adapter.submit_orders(
        [Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.1", reduce_only=True)]
    )
    assert ack.status is OrderStatus.FILLED
    assert await adapter.get_positions() == []
    fills = await adapter.get_fills()
    pnl = (fills[0].price - fills[1].price) * D("0.1")
    fees = sum(f.fee for f in fills)
    assert (await adapter.get_account())["USD"] == D(10000) + pnl - fees


async def test_resting_limit_edit_cancel(adapter: KrakenFuturesAdapter) -> None:
    order = limit(Side.BUY, "50000")
    [ack] = await adapter.submit_orders([order])
    assert ack.status is OrderStatus.OPEN and ack.order_id
    found = await adapter.find_order(order.client_order_id)
    assert found is not None and found.status is OrderStatus.OPEN and found.limit_price == 50000
    edited = await adapter.edit_order(ack.order_id, limit_price=D(49000), quantity=D("0.02"))
    assert edited is not None and edited.limit_price == 49000 and edited.quantity == D("0.02")
    [open_order] = await adapter.get_orders()
    assert open_order.limit_price == 49000
    await adapter.cancel_order(ack.order_id)
    gone = await adapter.find_order(order.client_order_id)
    assert gone is not None and gone.status is OrderStatus.CANCELED
    with pytest.raises(UnknownOrderError):
        await adapter.cancel_order(ack.order_id)


async def test_post_only_that_would_take_is_rejected(adapter: KrakenFuturesAdapter) -> None:
    [ack] = await adapter.submit_orders([limit(Side.BUY, "61000", post_only=True)])
    assert ack.status is OrderStatus.REJECTED and "POST_WOULD_EXECUTE" in (ack.message or "")
    assert await adapter.get_orders() == []


async def test_ioc_and_reduce_only_refusals(adapter: KrakenFuturesAdapter) -> None:
    [ioc] = await adapter.submit_orders([limit(Side.BUY, "50000", time_in_force=TimeInForce.IOC)])
    assert ioc.status is OrderStatus.REJECTED and "IOC_WOULD_NOT_EXECUTE" in (ioc.message or "")
    reduce = Order(symbol="PF_XBTUSD", side=Side.SELL, quantity="0.01", reduce_only=True)
    [ack] = await adapter.submit_orders([reduce])
    assert ack.status is OrderStatus.REJECTED and "wouldNotReducePosition" in (ack.message or "")


async def test_oversized_order_is_refused_for_margin(adapter: KrakenFuturesAdapter) -> None:
    [ack] = await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity=50)])
    assert ack.status is OrderStatus.REJECTED and "insufficientAvailableFunds" in (
        ack.message or ""
    )


async def test_stop_take_profit_and_trailing_fire_on_the_mark(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.02")])
    stop = Order(
        symbol="PF_XBTUSD",
        side=Side.SELL,
        quantity="0.01",
        order_type=OrderType.STOP_LOSS,
        stop_price=59000,
        reduce_only=True,
    )
    take = Order(symbol="PF_XBTUSD", side=Side.SELL, quantity="0.01",
                 order_type=OrderType.TAKE_PROFIT_LIMIT, stop_price=62000, limit_price=61900,
                 reduce_only=True)  # fmt: skip
    acks = await adapter.submit_orders([stop, take])
    assert [a.status for a in acks] == [OrderStatus.OPEN, OrderStatus.OPEN]
    assert len(await adapter.get_orders()) == 2
    venue.set_index("XBT", 58900)  # mark below the stop: the stop fires, a market sell
    [position] = await adapter.get_positions()
    assert position.quantity == D("0.01")
    venue.set_index("XBT", 62100)  # the take-profit fires as a limit at 61900
    assert await adapter.get_positions() == []
    trail = Order(
        symbol="PF_XBTUSD", side=Side.SELL, quantity="0.01",
        order_type=OrderType.TRAILING_STOP, trail_offset=1, trail_percent=True,
    )  # fmt: skip
    [ack] = await adapter.submit_orders([trail])
    assert ack.status is OrderStatus.OPEN
    venue.set_index("XBT", 63000)
    venue.set_index("XBT", 62500)  # down 0.8 % from the high: still waiting
    assert len(await adapter.get_orders()) == 1
    venue.set_index("XBT", 62300)  # down 1.1 %: fires, opening a short
    [position] = await adapter.get_positions()
    assert position.quantity == D("-0.01")


async def test_batch_cancel_all_and_dead_man(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    orders = [limit(Side.BUY, str(50000 - i)) for i in range(3)]
    acks = await adapter.submit_orders(orders)
    assert [a.status for a in acks] == [OrderStatus.OPEN] * 3
    assert [a.client_order_id for a in acks] == [o.client_order_id for o in orders]
    assert await adapter.cancel_all() == 3
    assert await adapter.get_orders() == []
    await adapter.submit_orders([limit(Side.BUY, "50000")])
    fires = await adapter.cancel_all_orders_after(60)
    assert fires is not None and fires - venue.now() <= timedelta(seconds=60)
    assert await adapter.cancel_all_orders_after(0) is None
    await adapter.cancel_all_orders_after(1)
    venue.lifecycle.engine.accounts[venue.account_id].dead_man_at = venue.now()
    venue.after_market()
    assert await adapter.get_orders() == []


async def test_leverage_preferences(adapter: KrakenFuturesAdapter) -> None:
    await adapter.set_leverage("PF_XBTUSD", D(5))
    assert await adapter.get_leverage() == {"PF_XBTUSD": D(5)}
    await adapter.set_leverage("PF_XBTUSD", None)
    assert await adapter.get_leverage() == {}


async def test_local_refusals_send_nothing(adapter: KrakenFuturesAdapter) -> None:
    with pytest.raises(InvalidOrderError):
        await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, notional=100)])
