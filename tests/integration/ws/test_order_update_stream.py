"""``stream_order_updates()`` against the paper exchange: each state change once, across drops.

Covers the WebSocket source (open, partial fill, amend, cancel; orders that filled while the
connection was down, recovered over REST exactly once) and the polling fallback for a key
without the WebSocket permission. Orders that existed before the stream started are not
yielded until they change.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Order, OrderStatus, OrderType, OrderUpdate, Side
from src.utils.retry import RetryPolicy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

NO_WEBSOCKET = {"query_funds", "query_open_orders", "query_closed_orders", "create_orders",
                "cancel_orders"}  # fmt: skip
QTY = Decimal("0.002")


@pytest.fixture
async def fast_adapter(exchange: Any) -> AsyncIterator[KrakenAdapter]:
    """The demo key, REST orders, and a quick reconnect backoff."""
    backoff = Backoff(initial=0.02, cap=0.1, rng=random.Random(3))
    async with KrakenAdapter(
        api_key=exchange.api_key, api_secret=exchange.api_secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=exchange.ws_auth_url, gate=NullGate(),
        order_transport="rest", ws_options={"backoff": backoff},
    ) as adapter:  # fmt: skip
        yield adapter


def _last(exchange: Any) -> Decimal:
    return Decimal(str(exchange.markets["XXBTZUSD"].last)).quantize(Decimal("0.1"))


async def _rest_buy(adapter: KrakenAdapter, price: Decimal) -> str:
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity=QTY,
                  order_type=OrderType.LIMIT, limit_price=price)  # fmt: skip
    [ack] = await adapter.submit_orders([order])
    assert ack.order_id is not None
    return ack.order_id


def _consume(adapter: KrakenAdapter, updates: list[OrderUpdate]) -> asyncio.Task[None]:
    async def run() -> None:
        async for update in adapter.stream_order_updates():
            updates.append(update)

    return asyncio.create_task(run())


def _of(updates: list[OrderUpdate], order_id: str) -> list[tuple[OrderStatus, Decimal]]:
    return [(u.status, u.filled_quantity) for u in updates if u.order_id == order_id]


def _has(updates: list[OrderUpdate], order_id: str, status: OrderStatus) -> bool:
    return any(u.order_id == order_id and u.status is status for u in updates)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _lifecycle(
    adapter: KrakenAdapter, exchange: Any, updates: list[OrderUpdate], price: Decimal
) -> str:
    """Place, partly fill, amend and cancel one buy at ``price``; returns its id."""
    oid = await _rest_buy(adapter, price)
    await eventually(lambda: _has(updates, oid, OrderStatus.OPEN))
    exchange.drive("BTC/USD", price, "0.001", "sell")
    await eventually(lambda: _has(updates, oid, OrderStatus.PARTIALLY_FILLED))
    partial = next(u for u in updates if u.status is OrderStatus.PARTIALLY_FILLED)
    assert partial.filled_quantity == Decimal("0.001") and partial.quantity == QTY
    await adapter.amend_order(oid, limit_price=price - 1)
    await eventually(lambda: any(u.limit_price == price - 1 for u in updates))
    await adapter.cancel_order(oid)
    await eventually(lambda: _has(updates, oid, OrderStatus.CANCELED))
    return oid


async def test_websocket_stream_yields_each_state_change_once(
    exchange: Any, fast_adapter: KrakenAdapter
) -> None:
    base = _last(exchange)
    before = await _rest_buy(fast_adapter, base - 200)  # baseline, unchanged
    updates: list[OrderUpdate] = []
    task = _consume(fast_adapter, updates)
    try:
        oid = await _lifecycle(fast_adapter, exchange, updates, base - 100)
        # a marker order placed and cancelled last: once it is seen, nothing else is pending
        marker = await _rest_buy(fast_adapter, base - 300)
        await fast_adapter.cancel_order(marker)
        await eventually(lambda: _has(updates, marker, OrderStatus.CANCELED))
        assert not _of(updates, before)
        steps = _of(updates, oid)
        assert steps[0] == (OrderStatus.OPEN, Decimal(0))
        assert (OrderStatus.PARTIALLY_FILLED, Decimal("0.001")) in steps
        assert steps[-1] == (OrderStatus.CANCELED, Decimal("0.001"))
        keys = [(u.order_id, u.status, u.filled_quantity, u.limit_price) for u in updates]
        assert len(keys) == len(set(keys))  # no state yielded twice
    finally:
        await _stop(task)


async def test_orders_filled_while_disconnected_are_yielded_once_after_reconnect(
    exchange: Any, fast_adapter: KrakenAdapter
) -> None:
    updates: list[OrderUpdate] = []
    task = _consume(fast_adapter, updates)
    try:
        price = _last(exchange) - 100
        known = await _rest_buy(fast_adapter, price)
        await eventually(lambda: _has(updates, known, OrderStatus.OPEN))
        exchange.faults.ws_drop_rate = 1.0  # every frame (and socket) dropped meanwhile
        drops = exchange.faults.ws_drops
        exchange.drive("BTC/USD", price, str(QTY), "sell")  # fills `known` while down
        await eventually(lambda: exchange.faults.ws_drops > drops)
        unseen = await _rest_buy(fast_adapter, price - 5)  # opened and filled inside the gap
        exchange.drive("BTC/USD", price - 5, str(QTY), "sell")
        assert all(o.closetm is not None for o in (exchange.engine.orders[known],
                                                   exchange.engine.orders[unseen]))  # fmt: skip
        assert not _has(updates, known, OrderStatus.FILLED)
        exchange.faults.ws_drop_rate = 0.0
        await eventually(lambda: _has(updates, known, OrderStatus.FILLED), timeout=8)
        await eventually(lambda: _has(updates, unseen, OrderStatus.FILLED), timeout=8)
        marker = await _rest_buy(fast_adapter, price - 300)
        await fast_adapter.cancel_order(marker)
        await eventually(lambda: _has(updates, marker, OrderStatus.CANCELED))
        assert _of(updates, known) == [(OrderStatus.OPEN, Decimal(0)), (OrderStatus.FILLED, QTY)]
        assert _of(updates, unseen) == [(OrderStatus.FILLED, QTY)]
    finally:
        await _stop(task)


async def test_polling_fallback_without_websocket_permission(exchange: Any) -> None:
    key, secret = exchange.create_api_key(permissions=NO_WEBSOCKET)
    async with KrakenAdapter(
        api_key=key, api_secret=secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=exchange.ws_auth_url, gate=NullGate(),
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02),
    ) as adapter:  # fmt: skip
        adapter.fill_poll_interval = 0.05  # far over Kraken's budget, fine on loopback
        base = _last(exchange)
        before = await _rest_buy(adapter, base - 200)
        updates: list[OrderUpdate] = []
        task = _consume(adapter, updates)
        try:
            oid = await _lifecycle(adapter, exchange, updates, base - 100)
            quick = await _rest_buy(adapter, base - 150)  # the best bid now (oid is cancelled)
            exchange.drive("BTC/USD", base - 150, str(QTY), "sell")
            await eventually(lambda: _has(updates, quick, OrderStatus.FILLED))
            marker = await _rest_buy(adapter, base - 300)
            await adapter.cancel_order(marker)
            await eventually(lambda: _has(updates, marker, OrderStatus.CANCELED))
            assert not _of(updates, before)
            assert _of(updates, oid)[-1] == (OrderStatus.CANCELED, Decimal("0.001"))
            assert _of(updates, quick)[-1] == (OrderStatus.FILLED, QTY)
            keys = [(u.order_id, u.status, u.filled_quantity, u.limit_price) for u in updates]
            assert len(keys) == len(set(keys))
        finally:
            await _stop(task)


def _state(status: OrderStatus, filled: str, limit: str = "100") -> OrderUpdate:
    return OrderUpdate(order_id="O1", client_order_id=None, symbol="BTC/USD", side=Side.BUY,
                       order_type=OrderType.LIMIT, status=status, quantity=QTY,
                       filled_quantity=Decimal(filled), limit_price=Decimal(limit))  # fmt: skip


def test_state_filter_passes_changes_and_drops_repeats_and_stale_states() -> None:
    from src.brokers.kraken.streams.order_updates import OrderStateFilter

    states = OrderStateFilter()
    states.seed(_state(OrderStatus.OPEN, "0"))
    assert not states.accept(_state(OrderStatus.OPEN, "0.000"))  # same state, other spelling
    assert states.accept(_state(OrderStatus.OPEN, "0", limit="99"))  # amended
    assert states.accept(_state(OrderStatus.PARTIALLY_FILLED, "0.001", limit="99"))
    assert not states.accept(_state(OrderStatus.OPEN, "0", limit="99"))  # stale REST answer
    assert states.open_ids() == ["O1"]
    assert states.accept(_state(OrderStatus.FILLED, "0.002", limit="99"))
    assert not states.accept(_state(OrderStatus.CANCELED, "0.002", limit="99"))  # final stays
    assert states.open_ids() == []
