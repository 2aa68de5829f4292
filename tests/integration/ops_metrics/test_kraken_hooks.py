"""The transport's and WS connection's timing hooks report real calls, and only when set."""

from __future__ import annotations

import asyncio

import pytest

from src.brokers.kraken.ws.connection import WsConnection
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import BrokerError

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.replies: list[tuple[str, str, float]] = []

    def on_connect(self, connection: WsConnection) -> None:
        self.connects.append((connection.name, connection.connects))

    def on_reply(self, connection: WsConnection, method: str, seconds: float) -> None:
        self.replies.append((connection.name, method, seconds))


async def test_rest_observer_times_each_call_and_its_outcome(adapter: KrakenAdapter) -> None:
    calls: list[tuple[str, float, bool]] = []
    await adapter.get_server_time()  # no observer yet: nothing recorded, nothing breaks
    adapter.rest.transport.observer = lambda m, s, ok: calls.append((m, s, ok))
    await adapter.get_balance()
    with pytest.raises(BrokerError):
        await adapter.request("AddOrder", pair="XBTUSD", type="buy", ordertype="limit", volume="0")
    assert [(m, ok) for m, _, ok in calls] == [("Balance", True), ("AddOrder", False)]
    assert all(0 < s < 5 for _, s, _ in calls)


async def test_ws_observer_sees_connects_reconnects_and_round_trips(
    adapter: KrakenAdapter,
) -> None:
    recorder = Recorder()
    WsConnection.observers.append(recorder)
    try:
        manager = await adapter.connect_websocket()
        assert recorder.connects == [("kraken-private/orders", 1)]
        assert await manager.connection.reconnect(timeout=10)
        await asyncio.sleep(0)
        assert recorder.connects == [("kraken-private/orders", 1), ("kraken-private/orders", 2)]
        methods = {m for _, m, _ in recorder.replies}
        assert "subscribe" in methods  # the executions subscription's round trip
        assert all(0 <= s < 5 for *_, s in recorder.replies)
    finally:
        WsConnection.observers.remove(recorder)


async def test_each_private_socket_connects_under_its_own_name(adapter: KrakenAdapter) -> None:
    # A running bot holds three private sockets on one account; logs and the reconnect metric
    # must tell them apart, or a flapping fill stream reads as a flapping order socket.
    recorder = Recorder()
    WsConnection.observers.append(recorder)
    fills = adapter.stream_fills().__aiter__()
    updates = adapter.stream_order_updates().__aiter__()
    readers = [asyncio.ensure_future(fills.__anext__()), asyncio.ensure_future(updates.__anext__())]
    try:
        await adapter.connect_websocket()
        async with asyncio.timeout(10):
            while len(recorder.connects) < 3:
                await asyncio.sleep(0.01)
        assert sorted(recorder.connects) == [
            ("kraken-private/fills", 1),
            ("kraken-private/orders", 1),
            ("kraken-private/updates", 1),
        ]
    finally:
        WsConnection.observers.remove(recorder)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await fills.aclose()  # type: ignore[attr-defined]
        await updates.aclose()  # type: ignore[attr-defined]
        await adapter.close_websocket()
