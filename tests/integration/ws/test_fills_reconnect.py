"""The WS fill stream across a disconnect: a fill made while away arrives exactly once."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.streams.fill_stream import WsFillSource
from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken_order_manager import KrakenOrderManager
from src.core.execution import Fill, Order, OrderType, Side
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("snap_trades", [True, False])
async def test_fill_during_disconnect_recovered_exactly_once(
    exchange: Any, adapter: Any, snap_trades: bool
) -> None:
    """With snap_trades the reconnect snapshot and REST both carry it; without, REST alone."""
    backoff = Backoff(initial=0.02, cap=0.1, rng=random.Random(4))
    source = WsFillSource(
        adapter, snap_trades=snap_trades, backoff=backoff, idle_timeout=1.5, ping_interval=0.5
    )
    received: list[Fill] = []

    async def consume() -> None:
        async for fill in source.fills():
            received.append(fill)

    task = asyncio.create_task(consume())
    try:
        await eventually(lambda: source.stream.connection.connected)
        async with KrakenOrderManager.for_adapter(adapter) as om:
            last = exchange.markets["XXBTZUSD"].last.quantize(Decimal("0.1"))
            orders = [Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.001"),
                            order_type=OrderType.LIMIT, limit_price=last - 100 - i)
                      for i in range(2)]  # fmt: skip
            for order in orders:
                await om.add_order(order)
        exchange.drive("BTC/USD", last - 100, "0.001", "sell")  # fills the first order
        await eventually(lambda: len(received) == 1)
        # the stream goes silent: the second fill happens while the client sees nothing
        timeouts = source.stream.connection.idle_timeouts
        exchange.faults.ws_silent_channels = frozenset({"*"})
        exchange.drive("BTC/USD", last - 102, "0.001", "sell")  # fills the second order
        # this silence (not an earlier hiccup) must be what the client notices
        await eventually(lambda: source.stream.connection.idle_timeouts > timeouts, timeout=5)
        exchange.faults.ws_silent_channels = frozenset()
        await eventually(lambda: len(received) == 2, timeout=5)
        await asyncio.sleep(0.3)  # any duplicate would have arrived by now
        venue_fills = sorted(t.txid for t in exchange.engine.trades.values())
        assert sorted(f.fill_id for f in received) == venue_fills
        assert len(received) == 2 and source.stream.connection.reconnects >= 1
        if not snap_trades:
            assert source.reconciled == 1  # REST alone recovered it
        else:
            assert source.reconciled + source.stream.duplicate_fills >= 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_key_without_websocket_permission_falls_back_to_polling(exchange: Any) -> None:
    from src.brokers.kraken.streams.fill_polling import PollingFillSource
    from src.brokers.kraken_adapter import KrakenAdapter

    perms = {"query_funds", "query_open_orders", "query_closed_orders", "create_orders",
             "cancel_orders"}  # fmt: skip
    key, secret = exchange.create_api_key(permissions=perms)
    async with KrakenAdapter(
        api_key=key, api_secret=secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=exchange.ws_auth_url,
    ) as limited:  # fmt: skip
        polling = PollingFillSource(limited.get_fills, limited.clock, interval=0.05)
        source = WsFillSource(limited, fallback=polling)
        iterator = source.fills()
        first = asyncio.ensure_future(iterator.__anext__())
        await asyncio.sleep(0.2)
        order = Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.001"),
                      order_type=OrderType.MARKET)  # fmt: skip
        await limited.submit_orders([order])
        fill = await asyncio.wait_for(first, 5)
        assert fill.quantity == Decimal("0.001") and fill.side is Side.BUY
        assert source.stream.connection.connects == 0  # never tried the WebSocket
        await iterator.aclose()  # type: ignore[attr-defined]
