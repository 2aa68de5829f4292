"""The simulator's ``/stream`` WebSocket: auth, listen and ``trade_updates`` in binary frames.

Alpaca's paper stream sends binary frames (https://docs.alpaca.markets/docs/websocket-streaming);
the simulator does too, so clients are tested against that quirk. It takes both authentication
messages Alpaca does: ``{"action": "authenticate", "data": {"key_id", "secret_key"}}`` (the
trade-stream reference's, sent by alpaca-py's ``TradingStream``) and ``{"action": "auth", "key",
"secret"}`` (the market-data streams' form, which Alpaca's trade stream accepts too). Each
attempt's shape (never its values) is kept in ``app[AUTH_LOG]`` so a test can see what a client
sent.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from aiohttp import WSMsgType, web

from src.venues.alpaca_sim.keys import AUTH_LOG, CREDS, LISTENING, SOCKETS, STATE


async def _send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    await ws.send_bytes(json.dumps(message).encode())


def _credentials(message: dict[str, Any]) -> tuple[str, str] | None:
    """(key, secret) from either of Alpaca's auth messages, or None for any other shape."""
    if message.get("action") == "auth":
        key, secret = message.get("key"), message.get("secret")
    else:
        data = message.get("data")
        if not isinstance(data, dict):
            return None
        key, secret = data.get("key_id"), data.get("secret_key")
    if not isinstance(key, str) or not isinstance(secret, str):
        return None
    return key, secret


def _shape(message: dict[str, Any]) -> dict[str, Any]:
    data = message.get("data")
    return {
        "action": message.get("action"),
        "fields": sorted(k for k in message if k != "action"),
        "data_fields": sorted(data) if isinstance(data, dict) else [],
    }


def _authorized(app: web.Application, message: dict[str, Any]) -> bool:
    app[AUTH_LOG].append(_shape(message))
    found = _credentials(message)
    if found is None:
        return False
    creds = app[CREDS]
    key_ok = hmac.compare_digest(found[0].encode(), creds["key"].encode())
    return hmac.compare_digest(found[1].encode(), creds["secret"].encode()) and key_ok


async def _handle(ws: web.WebSocketResponse, app: web.Application, state: dict[str, bool]) -> None:
    async for msg in ws:
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            break
        try:
            message = json.loads(msg.data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            message = None
        if not isinstance(message, dict):
            await _send(ws, {"stream": "error", "data": {"error_message": "invalid syntax"}})
            continue
        action = message.get("action")
        if action in ("auth", "authenticate"):
            ok = _authorized(app, message)
            status = "authorized" if ok else "unauthorized"
            await _send(
                ws,
                {"stream": "authorization", "data": {"action": "authenticate", "status": status}},
            )
            if not ok:
                await ws.close()
                return
            state["authorized"] = True
        elif action == "listen" and state.get("authorized"):
            streams = [
                s for s in message.get("data", {}).get("streams", []) if s == "trade_updates"
            ]
            state["listening"] = bool(streams)
            if streams:
                app[LISTENING].add(id(ws))
            await _send(ws, {"stream": "listening", "data": {"streams": streams}})
        else:
            await _send(
                ws,
                {"stream": "authorization", "data": {"action": action, "status": "unauthorized"}},
            )


async def stream_handler(request: web.Request) -> web.StreamResponse:
    """Serve one trade-updates connection until the client or a fault closes it."""
    ws = web.WebSocketResponse(autoping=True)
    await ws.prepare(request)
    app = request.app
    state: dict[str, bool] = {}
    app[SOCKETS][id(ws)] = request
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def listener(data: dict[str, Any]) -> None:
        if state.get("listening") and not ws.closed:
            queue.put_nowait({"stream": "trade_updates", "data": data})

    sender = asyncio.create_task(_sender(ws, queue))
    app[STATE].listeners.append(listener)
    try:
        await _handle(ws, app, state)
    finally:
        app[STATE].listeners.remove(listener)
        app[SOCKETS].pop(id(ws), None)
        app[LISTENING].discard(id(ws))
        sender.cancel()
    return ws


async def _sender(ws: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
    # One sender per connection keeps events in the order they happened.
    while not ws.closed:
        message = await queue.get()
        try:
            await _send(ws, message)
        except ConnectionError:
            return


def drop_all(app: web.Application) -> int:
    """Abort every stream connection without a close handshake (a network drop)."""
    dropped = 0
    for request in list(app[SOCKETS].values()):
        if request.transport is not None:
            request.transport.abort()
            dropped += 1
    app[LISTENING].clear()
    return dropped
