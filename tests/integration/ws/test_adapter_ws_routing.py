"""KrakenAdapter order routing against the paper exchange: WebSocket when connected, else REST."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import InsufficientFundsError, OrderMinimumError, PermissionDeniedError
from src.core.execution import Fill, Order, OrderStatus, OrderType, Side, TimeInForce
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

ORDER_CALLS = {"AddOrder", "AmendOrder", "EditOrder", "CancelOrder", "CancelAll",
               "CancelAllOrdersAfter"}  # fmt: skip


@asynccontextmanager
async def spied_adapter(
    exchange: Any, key: tuple[str, str] | None = None, **options: Any
) -> AsyncIterator[tuple[KrakenAdapter, Counter[str]]]:
    """An adapter on the paper exchange whose REST requests are counted by method name."""
    sent: Counter[str] = Counter()

    async def count(request: httpx.Request) -> None:
        sent[request.url.path.rsplit("/", 1)[-1]] += 1

    api_key, api_secret = key or (exchange.api_key, exchange.api_secret)
    client = httpx.AsyncClient(base_url=exchange.rest_url, event_hooks={"request": [count]})
    async with KrakenAdapter(
        api_key=api_key,
        api_secret=api_secret,
        base_url=exchange.rest_url,
        ws_url=exchange.ws_url,
        ws_auth_url=exchange.ws_auth_url,
        client=client,
        **options,
    ) as adapter:
        yield adapter, sent


def _rest_orders(sent: Counter[str]) -> dict[str, int]:
    return {k: v for k, v in sent.items() if k in ORDER_CALLS}


def _resting_buy(exchange: Any, qty: str = "0.01", offset: str = "0.6") -> Order:
    last = Decimal(str(exchange.markets["XXBTZUSD"].last))
    # an off-tick price: the venue only accepts it if the adapter rounded it (down, for a buy)
    price = (last * Decimal(offset)).quantize(Decimal("0.1")) + Decimal("0.07")
    return Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal(qty),
                 order_type=OrderType.LIMIT, limit_price=price)  # fmt: skip


def _venue_orders(exchange: Any, cloid: str) -> list[Any]:
    return [o for o in exchange.engine.orders.values() if o.cl_ord_id == cloid]


async def test_connected_adapter_sends_every_order_call_over_websocket(exchange: Any) -> None:
    async with spied_adapter(exchange) as (adapter, sent):
        manager = await adapter.connect_websocket()
        assert adapter.order_manager is manager and manager.connection.connected
        order = _resting_buy(exchange)
        [ack] = await adapter.submit_orders([order])
        assert adapter.last_order_transport == "websocket"
        [placed] = _venue_orders(exchange, order.client_order_id)
        assert placed.txid == ack.order_id and ack.status is OrderStatus.OPEN
        assert order.limit_price is not None
        assert placed.price == order.limit_price - Decimal("0.07")  # same rounding as REST
        assert isinstance(adapter.gate, KrakenRateLimits)
        assert adapter.gate.trading_counter("XBTUSD").value > 0  # one counter for both paths
        assert adapter.open_orders.count("XBTUSD") == 1  # one registry for both paths

        amended = await adapter.amend_order(ack.order_id, quantity="0.0200000009")
        assert "amend_id" in amended and placed.volume == Decimal("0.02")
        new_price = placed.price - Decimal(1)
        edited = await adapter.edit_order(ack.order_id or "", "BTC/USD", limit_price=new_price)
        replacement = exchange.engine.orders[edited["txid"]]
        assert replacement.price == new_price and placed.status == "canceled"
        assert (await adapter.cancel_order(edited["txid"]))["count"] == 1
        assert replacement.status == "canceled"

        armed = await adapter.cancel_all_orders_after(60)
        assert armed["triggerTime"] != "0"
        await adapter.cancel_all_orders_after(0)
        second = _resting_buy(exchange, offset="0.5")
        await adapter.submit_orders([second])
        assert await adapter.cancel_all() == 1
        assert _venue_orders(exchange, second.client_order_id)[0].status == "canceled"
        assert adapter.last_order_transport == "websocket"
    assert _rest_orders(sent) == {}  # not one order call went over REST


async def test_without_a_connection_orders_go_over_rest(exchange: Any) -> None:
    async with spied_adapter(exchange) as (adapter, sent):
        first = _resting_buy(exchange)
        [ack] = await adapter.submit_orders([first])
        assert adapter.last_order_transport == "rest" and ack.order_id is not None
        assert _rest_orders(sent) == {"AddOrder": 1}
        await adapter.connect_websocket()
        await adapter.cancel_order(client_order_id=first.client_order_id)
        assert adapter.last_order_transport == "websocket"
        await adapter.close_websocket()
        assert adapter.order_manager is None
        second = _resting_buy(exchange)
        await adapter.submit_orders([second])
        assert adapter.last_order_transport == "rest"
        assert _rest_orders(sent) == {"AddOrder": 2}
        assert len(_venue_orders(exchange, second.client_order_id)) == 1


async def test_rest_setting_keeps_orders_on_rest_while_connected(exchange: Any) -> None:
    async with spied_adapter(exchange, order_transport="rest") as (adapter, sent):
        await adapter.connect_websocket()
        await adapter.submit_orders([_resting_buy(exchange)])
        assert _rest_orders(sent) == {"AddOrder": 1}
        assert adapter.last_order_transport == "rest"


async def test_websocket_setting_connects_on_the_first_order(exchange: Any) -> None:
    async with spied_adapter(exchange, order_transport="websocket") as (adapter, sent):
        assert adapter.order_manager is None
        order = _resting_buy(exchange)
        await adapter.submit_orders([order])
        assert adapter.order_manager is not None
        assert _rest_orders(sent) == {} and len(_venue_orders(exchange, order.client_order_id)) == 1


async def test_websocket_path_refuses_like_rest(exchange: Any) -> None:
    tiny = Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.000001"),
                 order_type=OrderType.LIMIT, limit_price=Decimal(1000))  # fmt: skip
    too_big = Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal(50))
    for transport in ("rest", "websocket"):
        async with spied_adapter(exchange, order_transport=transport) as (adapter, _):
            before = len(exchange.engine.orders)
            with pytest.raises(OrderMinimumError, match="minimum"):
                await adapter.submit_orders([tiny])
            with pytest.raises(InsufficientFundsError) as info:
                await adapter.submit_orders([too_big])
            [ack] = info.value.acks  # type: ignore[attr-defined]
            assert ack.status is OrderStatus.REJECTED
            assert len(exchange.engine.orders) == before  # nothing was placed
            assert adapter.last_order_transport == transport


async def test_lost_websocket_reply_is_resolved_by_client_order_id_not_resent(
    exchange: Any,
) -> None:
    async with spied_adapter(exchange) as (adapter, sent):
        await adapter.connect_websocket()
        exchange.faults.lost_reply_next = 1  # executed, then the socket closes without a reply
        order = _resting_buy(exchange)
        [ack] = await adapter.submit_orders([order])
        [placed] = _venue_orders(exchange, order.client_order_id)
        assert ack.order_id == placed.txid and ack.status is OrderStatus.OPEN
        assert exchange.faults.lost_reply_next == 0  # the reply really was lost
        assert _rest_orders(sent) == {}  # resolved, never re-sent over either transport


async def _consume(adapter: KrakenAdapter, into: list[Fill]) -> None:
    async for fill in adapter.stream_fills():
        into.append(fill)


def _by_id(fills: list[Fill]) -> Callable[[], bool]:
    return lambda: len({f.fill_id for f in fills}) == len(fills)


async def test_stream_fills_carries_orders_and_each_fill_once_across_a_drop(
    exchange: Any,
) -> None:
    async with spied_adapter(exchange) as (adapter, sent):
        fills: list[Fill] = []
        task = asyncio.create_task(_consume(adapter, fills))
        try:
            await eventually(lambda: adapter.order_manager is not None)
            market = Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.001"))
            [ack] = await adapter.submit_orders([market])
            assert adapter.last_order_transport == "websocket"
            await eventually(lambda: [f.order_id for f in fills] == [ack.order_id])
            resting = _resting_buy(exchange)
            [rest_ack] = await adapter.submit_orders([resting])
            # the exchange drops every message (and socket) briefly: this fill is lost on the
            # wire and must come back from the reconnect's snapshot or REST, exactly once
            manager = adapter.order_manager
            assert manager is not None
            exchange.faults.ws_drop_rate = 1.0
            price = resting.limit_price - Decimal("0.07")  # type: ignore[operator]
            exchange.drive("BTC/USD", price, "0.004", "sell")
            # the fill's frame took the socket down with it (no new socket survives meanwhile)
            await eventually(lambda: not manager.connection.connected)
            exchange.faults.ws_drop_rate = 0.0
            await eventually(lambda: len(fills) >= 2, timeout=8)
            exchange.drive("BTC/USD", price, "0.003", "sell")
            await eventually(lambda: len(fills) >= 3, timeout=5)
            await asyncio.sleep(0.3)  # a duplicate would have arrived by now
            venue = sorted(t.txid for t in exchange.engine.trades.values())
            assert sorted(f.fill_id for f in fills) == venue and _by_id(fills)()
            mine = [f for f in fills if f.order_id == rest_ack.order_id]
            assert sum(f.quantity for f in mine) == Decimal("0.007")
            assert adapter.order_manager is not None
            assert adapter.order_manager.connection.reconnects >= 1
            assert _rest_orders(sent) == {}
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_key_without_websocket_permission_polls_and_trades_over_rest(
    exchange: Any,
) -> None:
    perms = {"query_funds", "query_open_orders", "query_closed_orders", "create_orders",
             "cancel_orders"}  # fmt: skip
    key = exchange.create_api_key(permissions=perms)
    async with spied_adapter(exchange, key=key) as (adapter, sent):
        adapter.fill_poll_interval = 0.05
        with pytest.raises(PermissionDeniedError):
            await adapter.connect_websocket()
        fills: list[Fill] = []
        task = asyncio.create_task(_consume(adapter, fills))
        try:
            await eventually(lambda: sent["TradesHistory"] >= 1)
            market = Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.001"))
            [ack] = await adapter.submit_orders([market])
            assert adapter.last_order_transport == "rest"
            await eventually(lambda: [f.order_id for f in fills] == [ack.order_id])
            await asyncio.sleep(0.2)  # more polls: still one fill
            assert len(fills) == 1 and adapter.order_manager is None
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _variety(exchange: Any, expiry: datetime) -> list[Order]:
    """Orders whose every field must reach the venue the same way over either transport."""
    last = Decimal(str(exchange.markets["XXBTZUSD"].last)).quantize(Decimal("0.1"))
    low, high = last * Decimal("0.7"), last * Decimal("1.3")
    spec: list[dict[str, Any]] = [
        {"order_type": OrderType.LIMIT, "limit_price": low + Decimal("0.04"), "post_only": True},
        {"order_type": OrderType.LIMIT, "limit_price": low, "time_in_force": TimeInForce.GTD,
         "expire_at": expiry},
        {"order_type": OrderType.STOP_LOSS, "stop_price": high + Decimal("0.06")},
        {"order_type": OrderType.STOP_LOSS_LIMIT, "stop_price": high,
         "limit_price": high + Decimal("5.03")},
        {"order_type": OrderType.TAKE_PROFIT, "stop_price": low},
    ]  # fmt: skip
    return [
        Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.0012345678"), **fields)
        for fields in spec
    ]


def _venue_view(order: Any) -> tuple[Any, ...]:
    return (order.ordertype, order.side, order.volume, order.price, order.price2,
            sorted(order.oflags), order.timeinforce, order.expiretm, order.status)  # fmt: skip


async def test_every_order_field_reaches_the_venue_alike_over_rest_and_websocket(
    exchange: Any,
) -> None:
    views: dict[str, list[tuple[Any, ...]]] = {}
    # one expiry for both rounds: computed per round, a second boundary between them (likely
    # under load) would make the two GTD orders differ for reasons that have nothing to do
    # with the transport
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    for transport in ("rest", "websocket"):
        async with spied_adapter(exchange, order_transport=transport) as (adapter, sent):
            orders = _variety(exchange, expiry)
            acks = await adapter.submit_orders(orders)
            assert all(a.status is OrderStatus.OPEN for a in acks), acks
            assert adapter.last_order_transport == transport
            assert ("AddOrder" in sent) == (transport == "rest")
            views[transport] = [
                _venue_view(_venue_orders(exchange, o.client_order_id)[0]) for o in orders
            ]
            await adapter.cancel_all()
    assert views["websocket"] == views["rest"]
    assert views["rest"][0][2] == Decimal("0.00123456")  # the volume rounded down to the lot
