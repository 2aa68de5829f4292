"""``order_status: false`` (issue 19's one-frame-less order path) against Kraken's default.

Two private streams on one account, one subscribed terse (the adapter's default) and one with
every transition: for the same orders (partly filled, filled, cancelled) both must end with the
same fills and the same final order state; only the intermediate reports differ.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.ws.private import KrakenPrivateStream
from src.brokers.kraken_order_manager import KrakenOrderManager
from src.core.execution import Order, OrderType, Side

pytestmark = pytest.mark.integration

KEYS = ("order_status", "cum_qty", "order_qty", "limit_price", "side", "symbol", "cl_ord_id")


def _limit(qty: str, price: Decimal) -> Order:
    return Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal(qty),
                 order_type=OrderType.LIMIT, limit_price=price)  # fmt: skip


def _state(stream: KrakenPrivateStream, order_id: str) -> dict[str, Any]:
    state = stream.order(order_id)
    assert state is not None
    return {key: state.get(key) for key in KEYS}


async def test_terse_executions_end_in_the_same_fills_and_states(
    exchange: Any, adapter: Any
) -> None:
    async def token() -> str:
        return str((await adapter.get_websockets_token())["token"])

    async with (
        KrakenPrivateStream(exchange.ws_auth_url, token, order_status=False) as terse,
        KrakenPrivateStream(exchange.ws_auth_url, token, order_status=True) as full,
    ):
        fills = {"terse": terse.iter_fills(), "full": full.iter_fills()}
        manager = KrakenOrderManager(terse)
        last: Decimal = exchange.markets["XXBTZUSD"].last.quantize(Decimal("0.1"))
        price = last - 100
        filled = await manager.add_order(_limit("0.002", price))
        cancelled = await manager.add_order(_limit("0.001", price - 50))
        exchange.drive("BTC/USD", price - 5, "0.001", "sell")  # a partial fill of the first
        exchange.drive("BTC/USD", price - 5, "0.01", "sell")  # the rest of it
        await manager.cancel_order(cancelled.order_id)
        assert filled.order_id and cancelled.order_id
        ids = (filled.order_id, cancelled.order_id)
        got: dict[str, list[tuple[Any, ...]]] = {}
        for name, stream in (("terse", terse), ("full", full)):
            for order_id in ids:
                await stream.wait_final(order_id, timeout=5)
            got[name] = [(f.fill_id, f.order_id, f.quantity, f.price, f.fee)
                         for f in [await asyncio.wait_for(fills[name].__anext__(), 5)
                                   for _ in range(2)]]  # fmt: skip
        states = {name: {i: _state(s, i) for i in ids}
                  for name, s in (("terse", terse), ("full", full))}  # fmt: skip
    assert got["terse"] == got["full"] and len({f[0] for f in got["terse"]}) == 2
    assert states["terse"] == states["full"]
    assert states["terse"][filled.order_id]["order_status"] == "filled"
    assert states["terse"][filled.order_id]["cum_qty"] == Decimal("0.002")
    assert states["terse"][cancelled.order_id]["order_status"] == "canceled"
