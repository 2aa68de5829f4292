"""trade_updates: auth, binary frames, de-duplication, reconnect and backfill of missed fills."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import connect

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.errors import AuthenticationError
from src.core.execution import Fill, Order, OrderType, Side
from src.venues.alpaca_sim import AlpacaSim
from tests.support.waiting import eventually


async def _resting(adapter: AlpacaAdapter, qty: str = "10") -> str:
    order = Order(
        symbol="AAPL", side=Side.BUY, quantity=qty, order_type=OrderType.LIMIT, limit_price=150
    )
    [ack] = await adapter.submit_orders([order])
    assert ack.order_id is not None
    return ack.order_id


async def _next(stream: AsyncIterator[Fill]) -> Fill:
    return await asyncio.wait_for(anext(stream), 5)


async def test_fills_arrive_once_even_when_delivered_twice(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    order_id = await _resting(adapter)
    stream = adapter.stream_fills()
    first = asyncio.ensure_future(_next(stream))
    await eventually(lambda: sim.listening_streams == 1, "stream to listen")
    sim.fill(order_id, "4")
    sim.replay_last_event()  # the venue repeats the event
    sim.fill(order_id, "6")
    got = [await first, await _next(stream)]
    assert [f.quantity for f in got] == [Decimal("4"), Decimal("6")]
    assert all(f.order_id == order_id and f.price == Decimal("150") for f in got)
    assert got[0].client_order_id is not None
    await stream.aclose()  # type: ignore[attr-defined]


async def test_dropped_stream_reconnects_and_backfills_missed_fills(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    order_id = await _resting(adapter)
    stream = adapter.stream_fills()
    first = asyncio.ensure_future(_next(stream))
    await eventually(lambda: sim.listening_streams == 1, "stream to listen")
    sim.fill(order_id, "1")
    assert (await first).quantity == Decimal("1")
    sim.drop_streams()
    sim.fill(order_id, "2")  # happens while nobody is listening
    missed = await _next(stream)
    assert missed.quantity == Decimal("2")
    await eventually(lambda: sim.listening_streams == 1, "stream to listen again")
    sim.fill(order_id, "3")
    after = await _next(stream)
    assert after.quantity == Decimal("3")
    fills = await adapter.get_fills()
    assert sorted(f.fill_id for f in fills) == sorted(
        f.fill_id for f in [await first, missed, after]
    )
    await stream.aclose()  # type: ignore[attr-defined]


async def test_stream_with_bad_credentials_raises_instead_of_retrying(sim: AlpacaSim) -> None:
    async with AlpacaAdapter(api_key=sim.api_key, api_secret="nope", base_url=sim.base_url) as bad:
        with pytest.raises(AuthenticationError, match="trade_updates"):
            await asyncio.wait_for(anext(bad.stream_fills()), 5)


async def test_stream_waits_for_an_unreachable_server_with_backoff(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    from src.core.clock import ManualClock

    clock = ManualClock()
    down = AlpacaAdapter(
        api_key=sim.api_key,
        api_secret=sim.api_secret,
        base_url="http://127.0.0.1:9",
        clock=clock,
        stream_backoff=1.0,
    )
    task = asyncio.ensure_future(anext(down.stream_fills()))
    await eventually(lambda: clock.monotonic() >= 1 + 2 + 4 + 8, "four backoff steps")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


OFFICIAL_SHAPE = {
    "action": "authenticate",
    "fields": ["data"],
    "data_fields": ["key_id", "secret_key"],
}


async def test_adapter_authenticates_as_alpacas_reference_and_alpaca_py_do(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    stream = adapter.stream_fills()
    pending = asyncio.ensure_future(_next(stream))
    await eventually(lambda: sim.listening_streams == 1, "stream to listen")
    assert sim.auth_messages == [OFFICIAL_SHAPE]
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    await stream.aclose()  # type: ignore[attr-defined]


async def _authorize(sim: AlpacaSim, message: dict[str, Any]) -> str:
    async with connect(sim.stream_url) as ws:
        await ws.send(json.dumps(message))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert reply["stream"] == "authorization" and reply["data"]["action"] == "authenticate"
    return str(reply["data"]["status"])


async def test_simulator_takes_both_of_alpacas_auth_messages(sim: AlpacaSim) -> None:
    key, secret = sim.api_key, sim.api_secret
    official = {"action": "authenticate", "data": {"key_id": key, "secret_key": secret}}
    short = {"action": "auth", "key": key, "secret": secret}
    assert await _authorize(sim, official) == "authorized"
    assert await _authorize(sim, short) == "authorized"
    wrong = {"action": "authenticate", "data": {"key_id": key, "secret_key": "nope"}}
    mixed = {"action": "authenticate", "data": {"key": key, "secret": secret}}
    assert await _authorize(sim, wrong) == "unauthorized"
    assert await _authorize(sim, mixed) == "unauthorized"  # neither of Alpaca's shapes
    assert [m["action"] for m in sim.auth_messages] == ["authenticate", "auth"] + [
        "authenticate"
    ] * 2
    assert all(secret not in repr(m) for m in sim.auth_messages)  # shapes only, never values
