"""The simulator's ``/stream`` WebSocket: auth, listen and ``trade_updates`` in binary frames.

Alpaca's paper stream sends binary frames (https://docs.alpaca.markets/docs/websocket-streaming);
the simulator does too, so clients are tested against that quirk.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from aiohttp import WSMsgType, web

from src.venues.alpaca_sim.keys import CREDS, LISTENING, SOCKETS, STATE


async def _send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    await ws.send_bytes(json.dumps(message).encode())


def _authorized(app: web.Application, message: dict[str, Any]) -> bool:
    creds = app[CREDS]
    key, secret = str(message.get("key", "")), str(message.get("secret", ""))
    return hmac.compare_digest(key, creds["key"]) and hmac.compare_digest(secret, creds["secret"])


async def _handle(ws: web.WebSocketResponse, app: web.Application, state: dict[str, bool]) -> None:
    async for msg in ws:
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            break
        try:
            message = json.loads(msg.data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            await _send(ws, {"stream": "error", "data": {"error_message": "invalid syntax"}})
            continue
        action = message.get("action")
        if action in ("auth", "authenticate"):
            ok = _authorized(app, message.get("data", message))
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
