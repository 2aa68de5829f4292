"""A server that sends headers and then drips its body cannot hold a call, or the others.

httpx's timeout is per read, so a byte every 0.3 s never trips a 1 s timeout; the transport's
overall deadline does. The private-call lock is released once headers arrive, so a second
private call is not stuck behind the dripping one. Real loopback sockets (aiohttp server).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from src.brokers.kraken.rest.client import KrakenRestClient
from src.core.errors import NetworkError
from src.utils.retry import RetryPolicy
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, DOC_SECRET


async def _drip(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    for _ in range(100):  # 30 s of body, one byte at a time
        await response.write(b" ")
        await asyncio.sleep(0.3)
    return response


async def _quick(request: web.Request) -> web.Response:
    return web.json_response({"error": [], "result": {"ZUSD": "1"}})


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/0/private/TradesHistory", _drip)
    app.router.add_post("/0/private/Balance", _quick)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_a_dripping_reply_ends_at_the_deadline_and_blocks_no_other_call(
    slow_server: str,
) -> None:
    client = KrakenRestClient(
        API_KEY, DOC_SECRET, slow_server, timeout=1.0, retry=RetryPolicy(max_attempts=1)
    )
    client.transport.deadline = 2.0
    try:
        start = time.monotonic()
        slow = asyncio.create_task(client.get_trades_history())
        await asyncio.sleep(0.3)  # the slow call has its headers and holds no lock now
        quick_start = time.monotonic()
        assert await client.get_balance() == {"ZUSD": "1"}
        assert time.monotonic() - quick_start < 1.0
        with pytest.raises(NetworkError, match="no complete reply within 2 s"):
            await slow
        assert 1.8 < time.monotonic() - start < 4.0
    finally:
        await client.aclose()
