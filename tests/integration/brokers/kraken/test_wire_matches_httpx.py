"""The wire engine (issue 19's fast private REST path) against the httpx engine it replaced.

Same key, same nonces, same loopback server: both engines must put the same request on the
wire (method, path, body, signature) and hand back the same result, for a signed call and a
public one, whole or chunked replies.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from src.brokers.kraken.rest.auth import NonceSource
from src.brokers.kraken.rest.transport import KrakenTransport
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, DOC_SECRET

# Numbers Kraken sends as strings and as JSON numbers, nested, unicode: a parser difference shows.
REPLY = {
    "error": [],
    "result": {"ZUSD": "1000.0100", "XXBT": "0.0000000001", "n": [1, 2.5, -0.0, 1e-7],
               "nested": {"ü": None, "t": True}},
}  # fmt: skip


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append({"method": request.method, "path": request.path_qs,
                     "body": await request.text(), "key": request.headers.get("API-Key"),
                     "sign": request.headers.get("API-Sign")})  # fmt: skip
        body = json.dumps(REPLY).encode()
        if request.query.get("chunked"):
            reply = web.StreamResponse(headers={"Content-Type": "application/json"})
            reply.enable_chunked_encoding()
            await reply.prepare(request)
            for i in range(0, len(body), 7):
                await reply.write(body[i : i + 7])
            await reply.write_eof()
            return reply
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    await runner.cleanup()


async def _calls(transport: KrakenTransport) -> list[Any]:
    return [
        await transport.call("Balance"),
        await transport.call("TradesHistory", {"ofs": 50, "trades": True}),
        await transport.call("Ticker", {"pair": "XBTUSD", "chunked": 1}),
    ]


async def test_wire_engine_sends_and_returns_exactly_what_httpx_does(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = server
    frozen = 1_764_000_000_000_000_000  # the same clock for both: the same nonces and signatures
    wire = KrakenTransport(url, API_KEY, DOC_SECRET, nonce=NonceSource(time_ns=lambda: frozen))
    assert wire._pool is not None  # the wire engine
    via_httpx = KrakenTransport(url, API_KEY, DOC_SECRET, nonce=NonceSource(time_ns=lambda: frozen),
                                client=httpx.AsyncClient(base_url=url))  # fmt: skip
    assert via_httpx._pool is None  # the httpx engine
    try:
        wire_results = await _calls(wire)
        wire_seen, seen[:] = list(seen), []
        httpx_results = await _calls(via_httpx)
    finally:
        await wire.aclose()
        await via_httpx.aclose()
    assert wire_results == httpx_results
    assert wire_results[0] == REPLY["result"]  # and it is the server's reply, not a default
    assert len(wire_seen) == 3 and wire_seen == seen
    assert wire_seen[0]["sign"] and wire_seen[0]["key"] == API_KEY
    assert wire_seen[0]["body"] != wire_seen[1]["body"]  # each signed call got its own nonce
