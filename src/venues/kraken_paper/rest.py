"""aiohttp handlers for Kraken's REST paths ``/0/public/<Method>`` and ``/0/private/<Method>``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from src.core.clock import Clock
from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper import public
from src.venues.kraken_paper.auth import KeyStore
from src.venues.kraken_paper.errors import KrakenError
from src.venues.kraken_paper.faults import FaultConfig
from src.venues.kraken_paper.market_registry import Markets
from src.venues.kraken_paper.service import ExchangeService
from src.venues.kraken_paper.wire import fail, ok, parse_body

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY = 64 * 1024

PERMISSION = {
    "Balance": "query_funds", "BalanceEx": "query_funds", "TradeBalance": "query_funds",
    "Ledgers": "query_funds", "QueryLedgers": "query_funds", "TradeVolume": "query_funds",
    "OpenOrders": "query_open_orders", "OpenPositions": "query_open_orders",
    "ClosedOrders": "query_closed_orders",
    "QueryOrders": "query_open_orders|query_closed_orders",  # either query permission
    "TradesHistory": "query_closed_orders", "QueryTrades": "query_closed_orders",
    "AddOrder": "create_orders", "AddOrderBatch": "create_orders", "AmendOrder": "create_orders",
    "EditOrder": "create_orders", "CancelOrder": "cancel_orders", "CancelAll": "cancel_orders",
    "CancelAllOrdersAfter": "cancel_orders", "CancelOrderBatch": "cancel_orders",
    "GetWebSocketsToken": "websocket",
}  # fmt: skip


class RestHost(Protocol):
    """What the REST handlers use of the exchange; ``PaperExchange`` provides it.

    Naming the parts here, instead of importing the exchange, keeps the import one way:
    the exchange builds its app from this module, never the reverse.
    """

    markets: Markets
    service: ExchangeService
    keys: KeyStore
    faults: FaultConfig
    clock: Clock

    def now(self) -> float:
        """Exchange wall time, epoch seconds."""
        ...

    def persist(self, only_if_changed: bool = False) -> None:
        """Write the exchange's state to its store, if it has one."""
        ...


def _public_table(ex: RestHost) -> dict[str, Callable[[dict[str, Any]], Any]]:
    m = ex.markets
    return {
        "Time": lambda p: public.time_(ex.now()),
        "SystemStatus": lambda p: public.system_status(ex.service.status, ex.now()),
        "Assets": public.assets,
        "AssetPairs": public.asset_pairs,
        "Ticker": lambda p: public.ticker(m, p, ex.now()),
        "Depth": lambda p: public.depth(m, p),
        "OHLC": lambda p: public.ohlc(m, p),
        "Trades": lambda p: public.trades(m, p),
        "Spread": lambda p: public.spread(m, p),
    }


def _private(ex: RestHost, method: str, account_id: str, key: Any, p: dict[str, Any]) -> Any:
    svc = ex.service
    if method == "AddOrder":
        return svc.add_order(account_id, p)
    if method == "AddOrderBatch":
        return svc.add_order_batch(account_id, p)
    if method == "AmendOrder":
        return svc.amend_order(account_id, p)
    if method == "EditOrder":
        return svc.edit_order(account_id, p)
    if method == "CancelOrder":
        return svc.cancel_order(account_id, p)
    if method == "CancelAll":
        return svc.cancel_all(account_id)
    if method == "CancelAllOrdersAfter":
        return svc.cancel_all_orders_after(account_id, p)
    if method == "CancelOrderBatch":
        return svc.cancel_order_batch(account_id, p)
    if method == "GetWebSocketsToken":
        return {"token": ex.keys.issue_token(key, ex.now()), "expires": 900}
    return svc.query(method, account_id, p)


async def _pre_faults(ex: RestHost) -> web.Response | None:
    f = ex.faults
    if f.latency_s > 0:
        await asyncio.sleep(f.latency_s)
    if f.roll_error():
        if f.error_kind == "5xx":
            return web.Response(status=503, text="503 Service Unavailable")
        return fail(E.UNAVAILABLE)
    return None


@web.middleware
async def kraken_shaped_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer any path or verb no route serves with Kraken's envelope, never aiohttp's text.

    A path under ``/0/`` that names no method (``/0/public/Nope``, ``/0/public/Time/x``) is
    an unknown method, answered with HTTP 200 as Kraken answers API errors; a path outside
    the API answers 404, still with a JSON ``error`` list a client can read.
    """
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed:
        return fail(E.BAD_REQUEST)
    except web.HTTPNotFound:
        return fail(E.UNKNOWN_METHOD, 200 if request.path.startswith("/0/") else 404)


def add_rest_routes(app: web.Application, ex: RestHost) -> None:
    """Register the public and private REST routes on ``app``."""
    table = _public_table(ex)

    async def public_handler(request: web.Request) -> web.Response:
        return await _serve_public(ex, table, request)

    async def private_handler(request: web.Request) -> web.Response:
        return await _serve_private(ex, request)

    app.router.add_route("GET", "/0/public/{method}", public_handler)
    app.router.add_route("POST", "/0/public/{method}", public_handler)
    app.router.add_route("POST", "/0/private/{method}", private_handler)
    app.router.add_route("GET", "/0/private/{method}", _get_private)


async def _serve_public(
    ex: RestHost, table: dict[str, Callable[[dict[str, Any]], Any]], request: web.Request
) -> web.Response:
    """Answer ``/0/public/<method>`` from ``table``; query and form/JSON body both count."""
    method = request.match_info["method"]
    faulted = await _pre_faults(ex)
    if faulted is not None:
        return faulted
    if method not in table:
        return fail(E.UNKNOWN_METHOD)
    params: dict[str, Any] = dict(request.query)
    try:
        if request.method == "POST" and request.can_read_body:
            body = await request.content.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                return fail(E.BAD_REQUEST, 413)
            params.update(parse_body(body, request.content_type))
        return ok(table[method](params))
    except KrakenError as exc:
        return fail(exc.message)
    except Exception:
        log.exception("public %s failed", method)
        return fail(E.INTERNAL_ERROR)


async def _serve_private(ex: RestHost, request: web.Request) -> web.Response:
    """Answer ``/0/private/<method>``: authenticate, run it, persist, maybe drop the reply."""
    method = request.match_info["method"]
    faulted = await _pre_faults(ex)
    if faulted is not None:
        return faulted
    if method not in PERMISSION:
        return fail(E.UNKNOWN_METHOD)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return fail(E.BAD_REQUEST, 413)
    try:
        result = await _handle_private(ex, request, method, body)
    except KrakenError as exc:
        ex.persist()
        return fail(exc.message)
    except Exception:
        log.exception("private %s failed", method)
        return fail(E.INTERNAL_ERROR)
    ex.persist()
    if method == "AddOrder" and "txid" in result and ex.faults.roll_lost_reply():
        return _lost_reply(ex, request, result)
    return ok(result)


def _lost_reply(ex: RestHost, request: web.Request, result: dict[str, Any]) -> web.Response:
    """Fault injection: an executed AddOrder whose reply never arrives (502, or a cut socket)."""
    if ex.faults.lost_reply_kind == "5xx":
        return web.Response(status=502, text="502 Bad Gateway")
    log.info("fault injection: AddOrder %s executed, reply dropped", result["txid"])
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)  # never delivered: the connection is gone


async def _get_private(request: web.Request) -> web.Response:
    return fail(E.BAD_REQUEST)


async def _handle_private(ex: RestHost, request: web.Request, method: str, body: bytes) -> Any:
    key = ex.keys.authenticate(
        request.headers.get("API-Key"),
        request.headers.get("API-Sign"),
        request.path,
        body,
        request.content_type,
    )
    ex.service.check_timers()
    ex.service.limits.charge_rest(key.key, method, ex.clock.monotonic())
    ex.keys.require(key, PERMISSION[method])
    try:
        params = parse_body(body, request.content_type)
    except UnicodeDecodeError:
        raise KrakenError(E.BAD_REQUEST) from None
    params.pop("nonce", None)
    params.pop("otp", None)
    return _private(ex, method, key.account_id, key, params)
