"""FuturesRiskGate over the adapter and the paper venue: refused orders are never sent."""

from __future__ import annotations

from decimal import Decimal

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.execution import ExecutionEngine, Order, OrderStatus, Side
from src.core.futures_gate import FuturesRiskGate
from src.core.futures_risk import FuturesRiskLimits
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
