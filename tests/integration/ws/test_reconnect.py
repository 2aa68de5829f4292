"""Connection care against the paper exchange: dropped sockets, silent streams, resubscribe."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.market_data import KrakenMarketData
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def _fast_backoff() -> Backoff:
    return Backoff(initial=0.02, cap=0.1, rng=random.Random(3))


async def test_dropped_socket_reconnects_and_resubscribes(exchange: Any) -> None:
    async with KrakenMarketData(
        ws_url=exchange.ws_url, rest_url=exchange.rest_url, backoff=_fast_backoff()
    ) as md:
        hooks: list[int] = []

        async def hook() -> None:
            hooks.append(md.connection.connects)

        md.connection.add_reconnect_hook(hook)
        await md.subscribe_book("BTC/USD")
        await md.subscribe_ticker("ETH/USD")
        await eventually(lambda: md.book("BTC/USD").valid and md.ticker("ETH/USD"))
        exchange.faults.ws_drop_after_s = 0.0  # every socket is closed by the server
        exchange.drive("BTC/USD", md.book("BTC/USD").asks[0][0], "0.01", "buy")
        await eventually(lambda: md.connection.connects == 0 or not md.connection.connected)
        exchange.faults.ws_drop_after_s = None
        await eventually(lambda: md.connection.connected and md.connection.reconnects >= 1)
        await eventually(lambda: hooks)
        # both acknowledged subscriptions were replayed: fresh data flows on each
        price = (md.ticker("ETH/USD").last + 3).quantize(Decimal("0.01"))
        exchange.drive("ETH/USD", price, "0.1", "buy")
        await eventually(lambda: md.ticker("ETH/USD").last == price)
        book = md.book("BTC/USD")
        exchange.drive("BTC/USD", book.asks[0][0], "0.01", "buy")
        await eventually(lambda: book.valid and book.checksum_failures == 0)
        channels = sorted(p["channel"] for p in md.connection.subscriptions)
        assert channels == ["book", "instrument", "ticker"]


async def test_silent_stream_is_caught_by_idle_timeout(exchange: Any) -> None:
    async with KrakenMarketData(
        ws_url=exchange.ws_url,
        rest_url=exchange.rest_url,
        backoff=_fast_backoff(),
        idle_timeout=1.5,  # the paper server heartbeats every second
        ping_interval=0.5,
    ) as md:
        await md.subscribe_book("BTC/USD")
        await eventually(lambda: md.book("BTC/USD").valid)
        timeouts, connects = md.connection.idle_timeouts, md.connection.connects
        # the socket stays open (pongs still answered) but channel data and heartbeats stop
        exchange.faults.ws_silent_channels = frozenset({"*"})
        await eventually(lambda: md.connection.idle_timeouts > timeouts, timeout=5)
        exchange.faults.ws_silent_channels = frozenset()
        await eventually(lambda: md.connection.connected and md.connection.connects > connects)
        book = md.book("BTC/USD")
        updates = md.iter_books("BTC/USD")
        exchange.drive("BTC/USD", book.asks[0][0], "0.01", "buy")
        update = await asyncio.wait_for(updates.__anext__(), 5)
        assert update.checksum_ok and book.valid and book.checksum_failures == 0


async def test_close_without_server_raises_clear_error() -> None:
    from src.core.errors import NetworkError

    md = KrakenMarketData(ws_url="ws://127.0.0.1:9/ws/v2", rest_url="http://127.0.0.1:9")
    with pytest.raises(NetworkError, match="could not connect"):
        await md.connection.start(timeout=0.3)
