"""The aiohttp app: Kraken Futures' REST paths, authentication, budgets and fault knobs.

Served: ``/derivatives/api/v3/<endpoint>`` (and ``/derivatives/api/v4/historicalfundingrates``,
which python-kraken-sdk and ccxt call), ``/api/history/v2|v3/account-log`` and
``/api/charts/v1/...``; the WebSocket is mounted at ``/ws/v1`` by ``ws.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from src.venues.kraken_futures_paper.api import Venue
from src.venues.kraken_futures_paper.auth import AuthFailure
from src.venues.kraken_futures_paper.params import BadRequest, batch_instructions, read_params
from src.venues.kraken_futures_paper.private import account_log, private_reads
from src.venues.kraken_futures_paper.public import charts, public_handlers, ticker
from src.venues.kraken_futures_paper.trading import order_calls
from src.venues.kraken_futures_paper.wire import error_reply

__all__ = ["add_routes"]

# Signatures are checked on the query as sent (``rel_url.raw_query_string``): aiohttp's
# ``query_string`` is already decoded, which is not what the client hashed.

V3 = "/derivatives/api/v3/"
ORDER_CALLS = order_calls()
READS = private_reads()
PUBLIC = public_handlers()


def add_routes(app: web.Application, exchange: Venue) -> None:
    """Mount every REST path on ``app``."""

    async def v3(request: web.Request) -> web.StreamResponse:
        return await _guarded(exchange, request, lambda: _v3(exchange, request))

    async def v4_funding(request: web.Request) -> web.StreamResponse:
        params = read_params(request.rel_url.raw_query_string, "")
        return await _guarded(
            exchange, request, lambda: PUBLIC["historical-funding-rates"](exchange, params)
        )

    async def history(request: web.Request) -> web.StreamResponse:
        return await _guarded(exchange, request, lambda: _history(exchange, request))

    async def chart(request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["tail"].split("/") if p]
        params = read_params(request.rel_url.raw_query_string, "")
        return await _guarded(exchange, request, lambda: charts(exchange, parts, params))

    app.router.add_route("*", V3 + "{tail:.+}", v3)
    app.router.add_get("/derivatives/api/v4/historicalfundingrates", v4_funding)
    app.router.add_get("/api/history/{version:v2|v3}/account-log", history)
    app.router.add_get("/api/charts/v1{tail:.*}", chart)


async def _guarded(exchange: Venue, request: web.Request, call: Any) -> web.StreamResponse:
    if exchange.faults.latency > 0:
        await asyncio.sleep(exchange.faults.latency)
    try:
        response: web.StreamResponse = await call()
    except BadRequest as bad:
        return error_reply(exchange.now(), bad.error)
    except AuthFailure as failure:
        return error_reply(exchange.now(), failure.error)
    return response


async def _authenticate(exchange: Venue, request: web.Request, body: str) -> Any:
    headers = request.headers
    api_key = exchange.keys.verify(
        headers.get("APIKey", ""), headers.get("Authent", ""), headers.get("Nonce", ""),
        request.path, request.rel_url.raw_query_string, body, request.method,
    )  # fmt: skip
    return exchange.engine.accounts[api_key.account], api_key


async def _v3(exchange: Venue, request: web.Request) -> web.StreamResponse:
    name = request.match_info["tail"].strip("/")
    body = await request.text() if request.can_read_body else ""
    params = read_params(request.rel_url.raw_query_string, body)
    if name.startswith("tickers/"):
        return await ticker(exchange, name.split("/", 1)[1])
    if name in PUBLIC and request.method == "GET":
        return await PUBLIC[name](exchange, params)  # type: ignore[no-any-return]
    handler = ORDER_CALLS.get(name) if request.method == "POST" else None
    handler = handler or READS.get((request.method, name))
    if handler is None:
        raise web.HTTPNotFound()
    account, api_key = await _authenticate(exchange, request, body)
    if exchange.faults.take("server_error_next"):
        return web.Response(status=500, text="Internal Server Error")
    count = len(batch_instructions(params)) if name == "batchorder" else 0
    method = "timed" if name == "fills" and params.get("lastFillTime") else request.method
    cost = exchange.limits.derivatives_cost(name, method, count)
    if exchange.limits.charge_derivatives(api_key.key, cost) is not None:
        return error_reply(exchange.now(), "apiLimitExceeded")
    response: web.StreamResponse = await handler(exchange, account, params)
    lost = name in ORDER_CALLS and exchange.faults.take("lost_reply_next")
    if lost and request.transport is not None:
        # The call took effect; the client never hears so (a dropped connection).
        request.transport.abort()
    return response


async def _history(exchange: Venue, request: web.Request) -> web.StreamResponse:
    body = await request.text() if request.can_read_body else ""
    params = read_params(request.rel_url.raw_query_string, body)
    account, api_key = await _authenticate(exchange, request, body)
    count = int(params.get("count") or 500)
    cost = next(
        c for limit, c in ((25, 1), (50, 2), (1000, 3), (5000, 6), (10**9, 10)) if count <= limit
    )
    wait = exchange.limits.charge_history(api_key.key, cost)
    if wait is not None:
        return web.Response(
            status=429, text="Too many requests", headers={"rate-limit-reset": f"{wait:.0f}"}
        )
    return await account_log(exchange, account, params)
