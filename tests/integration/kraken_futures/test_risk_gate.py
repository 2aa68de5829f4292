"""FuturesRiskGate over the adapter and the paper venue: refused orders are never sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.errors import OrderRejectedError
from src.core.execution import ExecutionEngine, Order, OrderStatus, Side
from src.core.futures_gate import AmendingFuturesRiskGate, FuturesRiskGate
from src.core.futures_risk import FuturesRiskLimits
from src.core.order_amend import OrderAmender
from src.venues.kraken_futures_paper import FuturesPaperExchange

D = Decimal


async def test_gate_sends_what_the_limits_allow(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    gate = FuturesRiskGate(adapter, FuturesRiskLimits(max_notional_per_contract=D(5000)))
    assert isinstance(gate, ExecutionEngine)
    first = Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.05")  # 3,000 USD
    second = Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.05")  # would make 6,000
    acks = await gate.submit_orders([first, second])
    assert [a.status for a in acks] == [OrderStatus.FILLED, OrderStatus.REJECTED]
    assert "max_notional_per_contract" in (acks[1].message or "")
    assert await adapter.find_order(second.client_order_id) is None  # never sent
    [position] = await gate.get_positions()
    assert position.quantity == D("0.05")
    # reducing is always allowed, even past a tightened limit
    gate.limits = FuturesRiskLimits(max_notional_per_contract=D(0))
    [ack] = await gate.submit_orders(
        [Order(symbol="PF_XBTUSD", side=Side.SELL, quantity="0.05", reduce_only=True)]
    )
    assert ack.status is OrderStatus.FILLED


async def test_gate_refuses_a_near_liquidation(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    limits = FuturesRiskLimits(max_leverage=D(50), max_notional_per_contract=D(10**6))
    gate = FuturesRiskGate(adapter, limits)
    [ack] = await gate.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="4")])
    # 240,000 USD on 10,000: liquidation about 4 % below the mark, inside the 15 % minimum
    assert ack.status is OrderStatus.REJECTED and "min_liquidation_distance" in (ack.message or "")
    assert await adapter.get_positions() == []


async def test_amends_in_place_and_the_limits_check_added_contracts(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    gate = AmendingFuturesRiskGate(adapter, FuturesRiskLimits(max_notional_per_contract=D(5000)))
    assert isinstance(gate, OrderAmender) and not isinstance(
        FuturesRiskGate(adapter, gate.limits), OrderAmender
    )  # only an amending engine gets an amending gate (attach_futures chooses)
    order = Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.05", order_type="limit",
                  limit_price=D(59000))  # fmt: skip
    [ack] = await gate.submit_orders([order])
    assert ack.status is OrderStatus.OPEN and ack.order_id is not None
    assert venue.drive("PF_XBTUSD", "sell", "0.02", D(59000)) == D("0.02")
    # A new total of 0.06 with 0.02 filled: Kraken is sent an open size of 0.04.
    amended = await gate.amend_working_order(
        ack.order_id, client_order_id=order.client_order_id, quantity=D("0.06"),
        limit_price=D(59100),
    )  # fmt: skip
    [resting] = venue.engine.open_orders(venue.account_id)
    assert (resting.order_id, resting.size, resting.filled) == (ack.order_id, D("0.06"), D("0.02"))
    assert resting.limit_price == D(59100)
    assert amended.order is not None and amended.order.quantity == D("0.06")
    assert amended.order.client_order_id == order.client_order_id
    # A total of 0.12: 0.02 held + 0.04 resting + 0.06 added, 0.12 * ~60,000 > 5,000: refused.
    with pytest.raises(OrderRejectedError, match="max_notional_per_contract"):
        await gate.amend_working_order(
            ack.order_id, client_order_id=order.client_order_id, quantity=D("0.12")
        )
    [resting] = venue.engine.open_orders(venue.account_id)
    assert resting.size == D("0.06") and len(gate.refusals) == 1
    # At or below what has filled: the rest is cancelled.
    closed = await gate.amend_working_order(
        ack.order_id, client_order_id=order.client_order_id, quantity=D("0.02")
    )
    assert venue.engine.open_orders(venue.account_id) == []
    assert closed.order is not None and closed.order.status is OrderStatus.CANCELED
