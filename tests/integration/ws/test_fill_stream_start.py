"""``stream_fills()`` against the paper exchange: fills from before start never, later ones once.

Both sources are covered: WS v2 ``executions`` (the demo key) and the TradesHistory poller (a
key without the WebSocket permission). Each test also makes a fill inside the start race
(after iteration began, before the first snapshot or poll answered) and one while the
connection is down; both must arrive exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Fill, Order, OrderType, Side, utc_now
from src.utils.retry import RetryPolicy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

NO_WEBSOCKET = {"query_funds", "query_open_orders", "query_closed_orders", "create_orders",
                "cancel_orders"}  # fmt: skip


def _last(exchange: Any) -> Decimal:
    return Decimal(str(exchange.markets["XXBTZUSD"].last)).quantize(Decimal("0.1"))


async def _market_buy(adapter: KrakenAdapter, exchange: Any) -> set[str]:
    """A market buy that fills at once; returns the venue's new fill ids."""
    before = set(exchange.engine.trades)
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.001"))
    [ack] = await adapter.submit_orders([order])
    assert ack.order_id is not None
    return {t.txid for k, t in exchange.engine.trades.items() if k not in before}


async def _resting_buys(adapter: KrakenAdapter, prices: list[Decimal]) -> None:
    orders = [Order(symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.001"),
                    order_type=OrderType.LIMIT, limit_price=p) for p in prices]  # fmt: skip
    for ack in await adapter.submit_orders(orders):
        assert ack.order_id is not None


def _fill_at(exchange: Any, price: Decimal) -> set[str]:
    """Print a sell at ``price``: fills the resting buy there; returns the new fill ids."""
    before = set(exchange.engine.trades)
    exchange.drive("BTC/USD", price, "0.001", "sell")
    new = {t.txid for k, t in exchange.engine.trades.items() if k not in before}
    assert new, f"nothing filled at {price}"
    return new


def _consume(adapter: KrakenAdapter, fills: list[Fill]) -> asyncio.Task[None]:
    async def run() -> None:
        async for fill in adapter.stream_fills():
            fills.append(fill)

    return asyncio.create_task(run())


def _hook_once(
    call: Callable[..., Awaitable[Any]], when: int, action: Callable[[], object]
) -> tuple[Callable[..., Awaitable[Any]], list[int]]:
    """Wrap ``call`` so that on its ``when``-th call ``action`` runs first."""
    calls: list[int] = []

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == when:
            action()
        return await call(*args, **kwargs)

    return wrapped, calls


async def _assert_same_as_rest(adapter: KrakenAdapter, fills: list[Fill], since: datetime) -> None:
    rest = {f.fill_id: f for f in await adapter.get_fills(since)}
    for fill in fills:
        twin = rest[fill.fill_id]
        for field in ("price", "quantity", "fee"):
            assert str(getattr(fill, field)) == str(getattr(twin, field)), (field, fill, twin)
        assert len(str(fill.price).partition(".")[2]) == 1  # BTC/USD: pair_decimals 1
        assert len(str(fill.quantity).partition(".")[2]) == 8  # lot_decimals 8


async def test_websocket_stream_starts_at_start_and_keeps_each_later_fill_once(
    exchange: Any, adapter: KrakenAdapter
) -> None:
    t0 = utc_now()
    last = _last(exchange)
    prices = [last - 100, last - 101, last - 102]
    await _resting_buys(adapter, prices)
    old = await _market_buy(adapter, exchange)  # before start: baseline, never streamed
    expected: set[str] = set()
    # Fill inside the start race: after iteration began, while the stream is connecting
    # (it asks for the adapter's shared token on connect, after its permission probe), so it
    # is in the first trade snapshot.
    token, calls = _hook_once(
        adapter.websocket_token, 2, lambda: expected.update(_fill_at(exchange, prices[0]))
    )
    adapter.websocket_token = token  # type: ignore[assignment]
    fills: list[Fill] = []
    task = _consume(adapter, fills)
    try:
        await eventually(lambda: len(fills) == 1)
        assert len(calls) >= 2 and expected and {f.fill_id for f in fills} == expected
        expected |= _fill_at(exchange, prices[1])  # live
        await eventually(lambda: len(fills) == 2)
        # dropped connection: every message (and socket) is dropped for a moment
        manager = adapter.order_manager
        assert manager is not None
        exchange.faults.ws_drop_rate = 1.0
        expected |= _fill_at(exchange, prices[2])
        # the fill's frame took the socket down with it (no new socket survives meanwhile)
        await eventually(lambda: not manager.connection.connected)
        exchange.faults.ws_drop_rate = 0.0
        await eventually(lambda: len(fills) == 3, timeout=8)
        await asyncio.sleep(0.3)  # a duplicate (or an old fill) would have arrived by now
        ids = [f.fill_id for f in fills]
        assert len(ids) == len(set(ids)) == 3 and set(ids) == expected
        assert not old & set(ids)
        assert manager.connection.reconnects >= 1
        await _assert_same_as_rest(adapter, fills, t0 - timedelta(seconds=5))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_polling_stream_starts_at_start_and_keeps_each_later_fill_once(
    exchange: Any,
) -> None:
    key, secret = exchange.create_api_key(permissions=NO_WEBSOCKET)
    async with KrakenAdapter(
        api_key=key, api_secret=secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=exchange.ws_auth_url,
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02),
        gate=NullGate(),  # polls every 50 ms: far over Kraken's budget, fine on loopback
    ) as adapter:  # fmt: skip
        adapter.fill_poll_interval = 0.05
        t0 = utc_now()
        last = _last(exchange)
        prices = [last - 100, last - 101, last - 102]
        await _resting_buys(adapter, prices)
        old = await _market_buy(adapter, exchange)
        expected: set[str] = set()
        # Fill inside the start race: after iteration began, before the first poll is sent.
        get_fills, polls = _hook_once(
            adapter.get_fills, 1, lambda: expected.update(_fill_at(exchange, prices[0]))
        )
        adapter.get_fills = get_fills  # type: ignore[method-assign, assignment]
        fills: list[Fill] = []
        task = _consume(adapter, fills)
        try:
            await eventually(lambda: len(fills) == 1)
            assert expected and {f.fill_id for f in fills} == expected
            expected |= _fill_at(exchange, prices[1])
            await eventually(lambda: len(fills) == 2)
            # the venue is unreachable for a while (every request answered 503)
            exchange.faults.error_kind, exchange.faults.error_rate = "5xx", 1.0
            seen = len(polls)
            await eventually(lambda: len(polls) > seen)
            expected |= _fill_at(exchange, prices[2])
            await asyncio.sleep(0.2)
            assert len(fills) == 2  # nothing got through while it was down
            exchange.faults.error_rate = 0.0
            await eventually(lambda: len(fills) == 3, timeout=8)
            before = len(polls)
            await eventually(lambda: len(polls) >= before + 3)  # more polls: no repeats
            ids = [f.fill_id for f in fills]
            assert len(ids) == len(set(ids)) == 3 and set(ids) == expected
            assert not old & set(ids)
            await _assert_same_as_rest(adapter, fills, t0 - timedelta(seconds=5))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
