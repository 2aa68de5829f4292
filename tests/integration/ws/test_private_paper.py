"""Private WS v2 (executions, balances, trading) against the paper exchange over loopback."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.private import KrakenPrivateStream
from src.brokers.kraken_order_manager import KrakenOrderManager
from src.core.errors import BrokerError, InsufficientFundsError, InvalidOrderError
from src.core.execution import Order, OrderStatus, OrderType, Side
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def _limit(side: Side, qty: str, price: Decimal) -> Order:
    return Order(symbol="BTC/USD", side=side, quantity=Decimal(qty),
                 order_type=OrderType.LIMIT, limit_price=price)  # fmt: skip


def _last(exchange: Any) -> Decimal:
    last: Decimal = exchange.markets["XXBTZUSD"].last
    return last.quantize(Decimal("0.1"))


@pytest.fixture
async def manager(adapter: Any) -> Any:
    backoff = Backoff(initial=0.02, cap=0.1, rng=random.Random(5))
    async with KrakenOrderManager.for_adapter(adapter, backoff=backoff) as om:
        yield om


async def test_fresh_token_on_every_connect(exchange: Any, adapter: Any) -> None:
    tokens: list[str] = []

    async def provider() -> str:
        token = str((await adapter.get_websockets_token())["token"])
        tokens.append(token)
        return token

    backoff = Backoff(initial=0.02, cap=0.1, rng=random.Random(1))
    async with KrakenPrivateStream(exchange.ws_auth_url, provider, backoff=backoff) as stream:
        await eventually(lambda: stream.balances)
        exchange.faults.ws_drop_after_s = 0.0
        await eventually(lambda: not stream.connection.connected)
        exchange.faults.ws_drop_after_s = None
        await eventually(lambda: stream.connection.connected)
        assert len(tokens) >= 2 and len(set(tokens)) == len(tokens)
        # the replayed executions subscription (with the new token) delivers new events
        updates = stream.iter_order_updates()
        om = KrakenOrderManager(stream)
        ack = await om.add_order(_limit(Side.BUY, "0.001", _last(exchange) - 500))
        update = await asyncio.wait_for(updates.__anext__(), 5)
        assert update.order_id == ack.order_id


async def test_bad_token_is_refused_with_kraken_error(exchange: Any) -> None:
    async def provider() -> str:
        return "forged"

    stream = KrakenPrivateStream(exchange.ws_auth_url, provider)
    with pytest.raises(BrokerError) as info:
        await stream.start()
    await stream.close()
    assert info.value.raw == "ESession:Invalid session"


async def test_order_lifecycle_with_executions(exchange: Any, manager: Any) -> None:
    stream = manager.stream
    fills, updates = stream.iter_fills(), stream.iter_order_updates()
    price = _last(exchange) - 100
    ack = await manager.add_order(_limit(Side.BUY, "0.002", price))
    assert ack.status is OrderStatus.OPEN and ack.order_id
    await eventually(lambda: stream.order(ack.order_id)["order_status"] == "new")
    amended = await manager.amend_order(ack.order_id, limit_price=price + 10)
    assert amended["amend_id"]
    await eventually(lambda: stream.order(ack.order_id)["limit_price"] == price + 10)
    exchange.drive("BTC/USD", price + 5, "0.001", "sell")  # partial fill
    first = await asyncio.wait_for(fills.__anext__(), 5)
    assert (first.order_id, first.quantity, first.price) == (ack.order_id, Decimal("0.001"),
                                                             price + 10)  # fmt: skip
    assert stream.order(ack.order_id)["order_status"] == "partially_filled"
    exchange.drive("BTC/USD", price + 5, "0.01", "sell")
    final = await stream.wait_final(ack.order_id, timeout=5)
    assert final["order_status"] == "filled" and final["cum_qty"] == Decimal("0.002")
    second = await asyncio.wait_for(fills.__anext__(), 5)
    assert second.fill_id != first.fill_id and second.client_order_id == ack.client_order_id
    statuses: list[OrderStatus] = []
    while len(statuses) < 10:
        try:
            statuses.append((await asyncio.wait_for(updates.__anext__(), 0.2)).status)
        except TimeoutError:
            break
    assert statuses[-1] is OrderStatus.FILLED
    assert OrderStatus.FILLED not in statuses[:-1]  # complete only on the final status
    await eventually(lambda: stream.balances.get("BTC", 0) > Decimal("0.5"))


async def test_refusals_raise_rest_error_classes(exchange: Any, manager: Any) -> None:
    with pytest.raises(InsufficientFundsError) as info:
        await manager.add_order(_limit(Side.BUY, "50", _last(exchange)))
    assert info.value.raw == "EOrder:Insufficient funds"
    with pytest.raises(InvalidOrderError, match="decimals"):
        await manager.add_order(_limit(Side.BUY, "0.001", _last(exchange) - Decimal("0.05")))
    assert exchange.engine.open_orders("demo") == []


async def test_other_trading_methods(exchange: Any, manager: Any) -> None:
    low = _last(exchange) - 1000
    batch = await manager.batch_add([_limit(Side.BUY, "0.001", low - i) for i in range(3)])
    assert len({a.order_id for a in batch}) == 3
    edited = await manager.edit_order(batch[0].order_id, "BTC/USD", limit_price=low - 50)
    assert edited["original_order_id"] == batch[0].order_id
    new_id = edited["order_id"]
    assert {o.txid for o in exchange.engine.open_orders("demo")} == {
        new_id, batch[1].order_id, batch[2].order_id}  # fmt: skip
    cancelled = await manager.cancel_order(cl_ord_id=batch[1].client_order_id)
    assert cancelled["order_id"] == batch[1].order_id
    assert await manager.batch_cancel([new_id, batch[2].order_id]) == 2
    ack = await manager.add_order(_limit(Side.BUY, "0.001", low))
    armed = await manager.cancel_all_orders_after(60)
    assert armed["triggerTime"] != "0"
    assert (await manager.cancel_all_orders_after(0))["triggerTime"] == "0"
    assert await manager.cancel_all() == 1
    await eventually(lambda: manager.stream.order(ack.order_id)["order_status"] == "canceled")
    with pytest.raises(BrokerError, match="Unknown order"):
        await manager.cancel_order(ack.order_id)


@pytest.mark.parametrize("kind", ["drop", "5xx"])
async def test_lost_add_order_reply_resolved_by_client_id(
    exchange: Any, adapter: Any, kind: str
) -> None:
    backoff = Backoff(initial=0.02, cap=0.1, rng=random.Random(2))
    async with KrakenOrderManager.for_adapter(adapter, backoff=backoff) as manager:
        manager.timeout = 0.5
        exchange.faults.lost_reply_kind = kind
        exchange.faults.lost_reply_next = 1
        order = _limit(Side.BUY, "0.001", _last(exchange) - 700)
        ack = await manager.add_order(order)
        placed = [o for o in exchange.engine.open_orders("demo")
                  if o.cl_ord_id == order.client_order_id]  # fmt: skip
        assert len(placed) == 1  # executed once, never re-sent
        assert ack.order_id == placed[0].txid and ack.status is OrderStatus.OPEN


async def test_order_finished_while_disconnected_is_reconciled(exchange: Any, adapter: Any) -> None:
    backoff = Backoff(initial=0.02, cap=0.1, rng=random.Random(6))
    async with KrakenOrderManager.for_adapter(
        adapter, backoff=backoff, idle_timeout=1.5, ping_interval=0.5
    ) as manager:
        ack = await manager.add_order(_limit(Side.BUY, "0.001", _last(exchange) - 900))
        order_id = ack.order_id
        assert order_id is not None
        await eventually(lambda: manager.stream.orders[order_id]["order_status"] == "new")
        final = asyncio.ensure_future(manager.stream.wait_final(order_id, timeout=10))
        timeouts = manager.connection.idle_timeouts
        exchange.faults.ws_silent_channels = frozenset({"*"})
        exchange.service.cancel_order("demo", {"txid": order_id})  # cancelled out of sight
        # this silence (not an earlier hiccup) must be what the client notices
        await eventually(lambda: manager.connection.idle_timeouts > timeouts, timeout=5)
        exchange.faults.ws_silent_channels = frozenset()
        state = await final  # only REST can say: a cancelled order is not in the snapshot
        assert state["order_status"] == "canceled"
