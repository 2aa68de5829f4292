"""aiohttp routes of the simulator: Alpaca Trading API v2 with auth, rate limit and faults.

Error bodies are Alpaca's ``{"code": ..., "message": ...}``; every reply carries
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` like Alpaca's.
"""

from __future__ import annotations

import hmac
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from src.venues.alpaca_sim.faults import Faults
from src.venues.alpaca_sim.keys import AUTH_LOG, CREDS, FAULTS, LIMIT, LISTENING, SOCKETS, STATE
from src.venues.alpaca_sim.orders import SimError
from src.venues.alpaca_sim.state import SimState
from src.venues.alpaca_sim.stream import stream_handler
from src.venues.alpaca_sim.timefmt import CLOCK_STYLE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SimError(400, 40010000, "request body format is invalid") from None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reject requests without the simulator's key and secret (401); ``/stream`` is exempt."""
    if request.path == "/stream":
        return await handler(request)
    creds = request.app[CREDS]
    key = request.headers.get("APCA-API-KEY-ID", "")
    secret = request.headers.get("APCA-API-SECRET-KEY", "")
    if not (
        hmac.compare_digest(key, creds["key"]) and hmac.compare_digest(secret, creds["secret"])
    ):
        return _error(401, 40110000, "request is not authorized")
    return await handler(request)


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Allow ``max`` requests per rolling minute (429 beyond), with Alpaca's rate headers."""
    if request.path == "/stream":
        return await handler(request)
    limit = request.app[LIMIT]
    window: deque[float] = limit["window"]
    now = time.time()
    while window and window[0] <= now - 60:
        window.popleft()
    reset = int((window[0] if window else now) + 60)
    headers = {"X-RateLimit-Limit": str(limit["max"]), "X-RateLimit-Reset": str(reset)}
    if len(window) >= limit["max"]:
        response: web.StreamResponse = _error(429, 42910000, "rate limit exceeded")
        headers["X-RateLimit-Remaining"] = "0"
    else:
        window.append(now)
        headers["X-RateLimit-Remaining"] = str(limit["max"] - len(window))
        response = await handler(request)
    response.headers.update(headers)
    return response


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply pending faults: forced error statuses, lost replies and malformed replies."""
    faults = request.app[FAULTS]
    forced = Faults.take(faults.fail, request.method, request.path)
    if forced is not None:
        forced_reply = _error(forced.status, forced.status * 100000, "simulated failure")
        if forced.retry_after is not None:
            forced_reply.headers["Retry-After"] = str(int(forced.retry_after))
        return forced_reply
    response: web.StreamResponse
    try:
        response = await handler(request)
    except SimError as exc:
        response = _error(exc.status, exc.code, exc.message)
    if Faults.take(faults.lose_reply, request.method, request.path) and request.transport:
        # The request took effect, but the client never hears back.
        request.transport.abort()
        return response
    if Faults.take(faults.malform_reply, request.method, request.path):
        return web.Response(status=200, text='{"id": "7c1d', content_type="application/json")
    return response


# -- handlers ----------------------------------------------------------------------------


async def get_account(request: web.Request) -> web.Response:
    """``GET /v2/account``."""
    return _json(request.app[STATE].account_json())


async def list_positions(request: web.Request) -> web.Response:
    """``GET /v2/positions``."""
    return _json(request.app[STATE].positions_json())


async def get_position(request: web.Request) -> web.Response:
    """``GET /v2/positions/{symbol}``; 404 if there is no position in the asset."""
    state = request.app[STATE]
    asset = state.asset(request.match_info["symbol"])
    for position in state.positions_json():
        if position["asset_id"] == asset.id:
            return _json(position)
    raise SimError(404, 40410000, "position does not exist")


async def submit_order(request: web.Request) -> web.Response:
    """``POST /v2/orders``."""
    state = request.app[STATE]
    return _json(state.order_json(state.submit(await _body(request))))


async def list_orders(request: web.Request) -> web.Response:
    """``GET /v2/orders``: ``status``, ``symbols``, ``after``/``until``, ``direction``, ``limit``.

    As Alpaca: sorted by submission time (``direction``, newest first by default), ``after`` and
    ``until`` bound it exclusively, ``limit`` defaults to 50 and is capped at 500.
    """
    q = request.query
    status = q.get("status", "open")
    if status not in ("open", "closed", "all"):
        raise SimError(422, 40010001, "invalid status")
    direction = q.get("direction", "desc")
    if direction not in ("asc", "desc"):
        raise SimError(422, 40010001, "invalid direction")
    try:
        limit = int(q.get("limit", "50"))
        after = _time(q["after"]) if q.get("after") else None
        until = _time(q["until"]) if q.get("until") else None
    except ValueError:
        raise SimError(422, 40010001, "invalid query parameter") from None
    if limit < 1:
        raise SimError(422, 40010001, "limit must be > 0")
    limit = min(limit, 500)  # Alpaca's maximum
    symbols = set(filter(None, q.get("symbols", "").split(",")))
    state = request.app[STATE]
    chosen = [
        o
        for o in state.orders.values()
        if (status == "all" or (status == "open") == o.is_open)
        and (not symbols or o.asset.symbol in symbols)
        and (after is None or o.created_at > after)  # submitted_at is created_at here
        and (until is None or o.created_at < until)
    ]
    chosen.sort(key=lambda o: o.created_at, reverse=direction == "desc")
    return _json([state.order_json(o) for o in chosen[:limit]])


async def get_order(request: web.Request) -> web.Response:
    """``GET /v2/orders/{order_id}``."""
    state = request.app[STATE]
    return _json(state.order_json(state.order(request.match_info["order_id"])))


async def get_order_by_client_id(request: web.Request) -> web.Response:
    """``GET /v2/orders:by_client_order_id``."""
    cloid = request.query.get("client_order_id", "")
    state = request.app[STATE]
    return _json(state.order_json(state.order_by_client_id(cloid)))


async def replace_order(request: web.Request) -> web.Response:
    """``PATCH /v2/orders/{order_id}``: replace an open order."""
    state = request.app[STATE]
    new = state.replace(request.match_info["order_id"], await _body(request))
    return _json(state.order_json(new))


async def cancel_order(request: web.Request) -> web.Response:
    """``DELETE /v2/orders/{order_id}``: 204 once canceled."""
    request.app[STATE].cancel(request.match_info["order_id"])
    return web.Response(status=204)


async def cancel_all(request: web.Request) -> web.Response:
    """``DELETE /v2/orders``: cancel every open order; 207 with one result each."""
    state = request.app[STATE]
    results = []
    for order in list(state.orders.values()):
        if order.is_open:
            state.cancel(order.id)
            results.append({"id": order.id, "status": 200, "body": state.order_json(order)})
    return _json(results, status=207)


async def list_assets(request: web.Request) -> web.Response:
    """``GET /v2/assets``, filtered by ``status`` and ``asset_class``."""
    q = request.query
    assets = [
        a.to_json()
        for a in request.app[STATE].assets.values()
        if q.get("status", a.status) == a.status
        and q.get("asset_class", a.asset_class) == a.asset_class
    ]
    return _json(assets)


async def get_asset(request: web.Request) -> web.Response:
    """``GET /v2/assets/{symbol}``."""
    return _json(request.app[STATE].asset(request.match_info["symbol"]).to_json())


async def get_clock(request: web.Request) -> web.Response:
    """``GET /v2/clock``: the simulated market is always open; times in New York, as Alpaca's."""
    now = datetime.now(UTC)
    whole = now.replace(microsecond=0)
    return _json(
        {
            "timestamp": CLOCK_STYLE.iso(now),
            "is_open": True,  # the simulated market never closes
            "next_open": _whole_seconds(whole + timedelta(days=1)),
            "next_close": _whole_seconds(whole + timedelta(hours=6)),
        }
    )


def _whole_seconds(ts: datetime) -> str:
    # Alpaca writes next_open/next_close without a fraction: "2024-01-11T09:30:00-05:00".
    return ts.astimezone(CLOCK_STYLE.zone).isoformat()


def _time(value: str) -> datetime:
    """A query timestamp (RFC 3339, ``Z`` or an offset; Python keeps microseconds)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def list_fill_activities(request: web.Request) -> web.Response:
    """``GET /v2/account/activities/FILL`` with ``after``/``until``, direction and paging."""
    q = request.query
    after = _time(q["after"]) if q.get("after") else None
    until = _time(q["until"]) if q.get("until") else None
    chosen = []
    for activity in request.app[STATE].fill_activities():
        when = _time(activity["transaction_time"])
        if (after is None or when > after) and (until is None or when < until):
            chosen.append(activity)
    if q.get("direction", "desc") == "desc":
        chosen.reverse()
    token = q.get("page_token")
    if token:
        ids = [a["id"] for a in chosen]
        chosen = chosen[ids.index(token) + 1 :] if token in ids else []
    return _json(chosen[: min(int(q.get("page_size", "100")), 100)])


def build_app(
    state: SimState, faults: Faults, key: str, secret: str, rate_limit: int
) -> web.Application:
    """Wire the routes, middlewares and shared state into an aiohttp application."""
    app = web.Application(middlewares=[fault_middleware, auth_middleware, rate_limit_middleware])
    app[STATE] = state
    app[FAULTS] = faults
    app[CREDS] = {"key": key, "secret": secret}
    app[LIMIT] = {"max": rate_limit, "window": deque()}
    app[SOCKETS] = {}
    app[LISTENING] = set()
    app[AUTH_LOG] = []
    r = app.router
    r.add_get("/v2/account", get_account)
    r.add_get("/v2/positions", list_positions)
    r.add_get("/v2/positions/{symbol:.+}", get_position)
    r.add_post("/v2/orders", submit_order)
    r.add_get("/v2/orders", list_orders)
    r.add_delete("/v2/orders", cancel_all)
    r.add_get("/v2/orders:by_client_order_id", get_order_by_client_id)
    r.add_get("/v2/orders/{order_id}", get_order)
    r.add_patch("/v2/orders/{order_id}", replace_order)
    r.add_delete("/v2/orders/{order_id}", cancel_order)
    r.add_get("/v2/assets", list_assets)
    r.add_get("/v2/assets/{symbol:.+}", get_asset)
    r.add_get("/v2/clock", get_clock)
    r.add_get("/v2/account/activities/FILL", list_fill_activities)
    r.add_get("/stream", stream_handler)
    return app
