"""A fill whose executions frame never arrives (no malformed frame to tell) is still delivered.

A proxy between the adapter and the paper exchange's private socket swallows every ``trade``
update. Nothing on the socket says a fill was missed, until each order's final report counts
more filled than the fills delivered: that opens a gap, reconciled over REST, so every fill
TradesHistory lists arrives from ``stream_fills()`` exactly once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Fill, utc_now
from tests.support.private_proxy import adapter_behind, buy_limit, last_btc
from tests.support.waiting import eventually
from tests.support.ws_fault_proxy import WsFaultProxy

pytestmark = pytest.mark.integration


class SwallowTrades:
    """Drops every executions update that carries a fill."""

    def __init__(self) -> None:
        self.dropped = 0
        self.subscribed = False

    def __call__(self, text: str) -> list[str | bytes]:
        if '"executions"' not in text:
            return [text]
        frame = json.loads(text)
        if frame.get("channel") != "executions" or frame.get("type") != "update":
            self.subscribed = self.subscribed or frame.get("type") == "snapshot"
            return [text]
        if any("exec_id" in report for report in frame["data"]):
            self.dropped += 1
            return []
        return [text]


@pytest.fixture
def swallow() -> SwallowTrades:
    return SwallowTrades()


@pytest.fixture
async def adapter_via_proxy(exchange: Any, swallow: SwallowTrades) -> AsyncIterator[KrakenAdapter]:
    async with (
        WsFaultProxy(exchange.ws_auth_url, rewrite=swallow) as proxy,
        adapter_behind(exchange, proxy.url) as adapter,
    ):
        yield adapter


async def test_fills_without_frames_arrive_once_when_their_orders_end(
    exchange: Any, adapter_via_proxy: KrakenAdapter, swallow: SwallowTrades
) -> None:
    adapter = adapter_via_proxy
    started = utc_now()
    received: list[Fill] = []

    async def consume() -> None:
        async for fill in adapter.stream_fills():
            received.append(fill)

    task = asyncio.create_task(consume())
    try:
        await eventually(lambda: swallow.subscribed, "the executions subscription")
        prices = [last_btc(exchange) - 100 - 2 * i for i in range(3)]
        for price in prices:
            await buy_limit(adapter, price)
        for price in prices:  # two partial fills each: the order ends filled
            exchange.drive("BTC/USD", price, "0.001", "sell")
            exchange.drive("BTC/USD", price, "0.001", "sell")
        venue = await adapter.get_fills(started - timedelta(seconds=5))
        assert len(venue) == 6
        want = sorted(f.fill_id for f in venue)
        await eventually(
            lambda: sorted({f.fill_id for f in received}) == want, "every fill", timeout=10
        )
        await asyncio.sleep(0.6)  # past the gap recheck: a duplicate would be here by now
        assert sorted(f.fill_id for f in received) == want  # each exactly once
        assert swallow.dropped == 6  # not one of them came over the socket
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
