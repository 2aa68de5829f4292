"""A loopback WebSocket proxy that corrupts, replaces or drops frames on their way to a client.

Tests put it between a client and a WebSocket server (usually the paper exchange) to inject
faults the server itself has no knob for. Every frame the server sends passes through
``rewrite(text)``, which returns the frames to forward instead: none drops it, one replaces it,
several inject extra frames. Frames from the client pass untouched. Each client connection gets
its own upstream connection on the same path, so a client that reconnects goes through the
proxy again::

    async with WsFaultProxy(exchange.ws_auth_url, rewrite=corrupt) as proxy:
        adapter = KrakenAdapter(..., ws_auth_url=proxy.url)

``malform(text, kind)`` turns one well-formed executions frame into one of ``MALFORMED_KINDS``:
broken JSON, wrong types, missing fields, unknown shapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import WSMsgType, web

__all__ = ["MALFORMED_KINDS", "Rewrite", "WsFaultProxy", "malform", "passthrough"]

Rewrite = Callable[[str], Sequence[str | bytes]]


def passthrough(text: str) -> list[str | bytes]:
    """Forward every frame as it is."""
    return [text]


class WsFaultProxy:
    """Forwards WebSocket connections to ``upstream``, rewriting what the server sends.

    Args:
        upstream: the server's WebSocket URL (its path is kept: ``url`` has the same path).
        rewrite: called with each text frame from the server; returns the frames to send on.

    Attributes:
        refuse: while True, new connections are refused (HTTP 503), so a dropped client stays
            disconnected until the test lets it back.
        connections: how many client connections were proxied.
        forwarded: text frames received from the server.
    """

    def __init__(self, upstream: str, rewrite: Rewrite | None = None) -> None:
        parts = urlsplit(upstream)
        self._upstream = f"{parts.scheme}://{parts.netloc}"
        self._path = parts.path or "/"
        self.rewrite: Rewrite = rewrite or passthrough
        self.refuse = False
        self.connections = 0
        self.forwarded = 0
        self._clients: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's address for the upstream URL given at construction."""
        return f"ws://127.0.0.1:{self.port}{self._path}"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        """Drop every connection and stop listening."""
        await self.drop_connections()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def drop_connections(self) -> int:
        """Close every client connection abruptly; returns how many were open."""
        clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close(code=1011, message=b"dropped by proxy")
        return len(clients)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.refuse or self._session is None:
            return web.Response(status=503, text="proxy refusing connections")
        try:
            upstream = await self._session.ws_connect(
                self._upstream + request.path_qs, max_msg_size=2**24
            )
        except aiohttp.ClientError:
            return web.Response(status=502, text="upstream unavailable")
        client = web.WebSocketResponse(max_msg_size=2**24)
        await client.prepare(request)
        self.connections += 1
        self._clients.add(client)
        pumps = {
            asyncio.create_task(self._down(upstream, client)),
            asyncio.create_task(self._up(client, upstream)),
        }
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            self._clients.discard(client)
            await upstream.close()
            await client.close()
        return client

    async def _down(
        self, upstream: aiohttp.ClientWebSocketResponse, client: web.WebSocketResponse
    ) -> None:
        async for msg in upstream:
            if msg.type == WSMsgType.TEXT:
                self.forwarded += 1
                for out in self.rewrite(msg.data):
                    if isinstance(out, bytes):
                        await client.send_bytes(out)
                    else:
                        await client.send_str(out)
            elif msg.type == WSMsgType.BINARY:
                await client.send_bytes(msg.data)
            else:
                return

    async def _up(
        self, client: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse
    ) -> None:
        async for msg in client:
            if msg.type == WSMsgType.TEXT:
                await upstream.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await upstream.send_bytes(msg.data)
            else:
                return


def _dumps(value: Any) -> str:
    def number(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return float(obj)  # only the malformed copies are re-encoded; precision is moot
        raise TypeError(type(obj).__name__)

    return json.dumps(value, default=number)


def _first_report(frame: dict[str, Any]) -> dict[str, Any]:
    data = frame.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    return {}


def _set(frame: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    _first_report(frame)[key] = value
    return frame


def _drop(frame: dict[str, Any], key: str) -> dict[str, Any]:
    _first_report(frame).pop(key, None)
    return frame


_MALFORMERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "not_an_object": lambda frame: [frame],
    "data_not_a_list": lambda frame: {**frame, "data": _first_report(frame)},
    "item_not_an_object": lambda frame: {**frame, "data": ["junk", *frame.get("data", [])[1:]]},
    "missing_order_id": lambda frame: _drop(frame, "order_id"),
    "order_id_wrong_type": lambda frame: _set(frame, "order_id", 12345),
    "unknown_exec_type": lambda frame: _set(frame, "exec_type", "teleported"),
    "qty_not_a_number": lambda frame: _set(frame, "cum_qty", "lots"),
    "bad_timestamp": lambda frame: _set(frame, "timestamp", "yesterday"),
    "unknown_channel": lambda frame: {**frame, "channel": "executionz"},
    "unknown_type": lambda frame: {**frame, "type": "delta"},
    "exec_id_wrong_type": lambda frame: _set(frame, "exec_id", 7),
    "missing_last_qty": lambda frame: _drop(frame, "last_qty"),
}
#: Every malformation ``malform`` can apply; ``"truncated"`` cuts the JSON text in half.
MALFORMED_KINDS = ("truncated", *_MALFORMERS)


def malform(text: str, kind: str) -> str:
    """``text`` (an executions frame) made malformed in the way ``kind`` names.

    A ``*_last_qty``/``exec_id`` kind applied to a report that is not a fill still leaves a
    well-formed frame for non-trade reports, so callers pick kinds that fit the frame.
    """
    if kind == "truncated":
        return text[: max(1, len(text) // 2)]
    frame = json.loads(text, parse_float=Decimal)
    return _dumps(_MALFORMERS[kind](frame))
