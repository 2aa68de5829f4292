"""A seeded fault proxy between the runtime and the paper exchange, for REST and WebSocket.

Requests are forwarded byte for byte (method, path, query, body, the signing headers), so
signatures stay valid. Faults are rolled per request (REST) or per second and per order
request (WS). The proxy outlives the exchange: while it is down, REST answers 502 and WS
connections are refused, as a real outage looks. It also keeps what the exchange answered to
every CancelAllOrdersAfter (the dead man's switch's armed windows, in exchange time) and counts
rate-limit and lockout errors in the exchange's replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from src.app.soak.proxy_ws import WsPump
from src.app.soak.schedule import FaultRates

_HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
#: Substrings of an exchange error that mean the runtime hit a rate limit or a lockout.
LOCKOUT_ERRORS = ("Rate limit exceeded", "Temporary lockout", "Invalid nonce", "Throttled")


@dataclass
class DeadManReply:
    """One CancelAllOrdersAfter the exchange executed: its clock then, and the trigger (0 = off)."""

    current: float
    trigger: float


@dataclass
class ProxyRecord:
    """What the proxy did and saw: fault counts, dead man replies, lockout errors."""

    faults: Counter[str] = field(default_factory=Counter)
    lockouts: Counter[str] = field(default_factory=Counter)
    dead_man: list[DeadManReply] = field(default_factory=list)
    requests: int = 0
    upstream_down: int = 0


class FaultProxy:
    """``await proxy.start()``, point the runtime at ``proxy.url``/``proxy.ws_url``...

    Args:
        target_port: the exchange's port on 127.0.0.1.
        port: the proxy's port (fixed, so the runtime's URLs survive everything).
        rates: fault odds (all zero: a plain proxy).
        seed: seeds the dice.
    """

    def __init__(self, target_port: int, port: int, rates: FaultRates, seed: int) -> None:
        self.target = f"http://127.0.0.1:{target_port}"
        self.port, self.rates = port, rates
        self.rng = random.Random(seed)
        self.record = ProxyRecord()
        self.enabled = True
        self.ws_order_requests = 0
        self.ws_seconds: Counter[str] = Counter()  # chaos seconds by socket kind
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._pumps: set[WsPump] = set()
        self._private_order = asyncio.Lock()

    @property
    def faults(self) -> Counter[str]:
        """Fault counts by kind (the WS pumps add theirs here too)."""
        return self.record.faults

    @property
    def url(self) -> str:
        """REST root the runtime is given."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """Public WebSocket v2 URL through the proxy."""
        return f"ws://127.0.0.1:{self.port}/ws/v2"

    @property
    def ws_auth_url(self) -> str:
        """Private WebSocket v2 URL through the proxy."""
        return f"ws://127.0.0.1:{self.port}/ws-auth/v2"

    async def start(self) -> None:
        """Bind the port and serve."""
        timeout = aiohttp.ClientTimeout(total=60)
        self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        app = web.Application(client_max_size=1024**2)
        app.router.add_get("/ws/v2", self._ws)
        app.router.add_get("/ws-auth/v2", self._ws)
        app.router.add_route("*", "/{tail:.*}", self._http)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Close every socket and the server."""
        for pump in list(self._pumps):
            await pump.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    # ----- REST ---------------------------------------------------------------------------
    def _roll(self, private: bool) -> str | None:
        if not self.enabled:
            return None
        r = self.rates
        odds = [("http_5xx", r.http_5xx), ("unavailable", r.unavailable), ("slow", r.slow)]
        odds.append(("truncated", r.truncated))
        if private:
            odds.append(("lost_reply", r.lost_reply))
        for name, p in odds:
            if self.rng.random() < p:
                return name
        return None

    async def _http(self, request: web.Request) -> web.StreamResponse:
        self.record.requests += 1
        body = await request.read()
        fault = self._roll(request.path.startswith("/0/private/"))
        if fault == "http_5xx":
            self.record.faults[fault] += 1
            status = self.rng.choice([500, 502, 503, 504])
            return web.Response(status=status, text="<html>Bad gateway</html>")
        if fault == "unavailable":
            self.record.faults[fault] += 1
            return web.json_response({"error": ["EService:Unavailable"]})
        try:
            data, status, ctype = await self._forward(request, body)
        except (aiohttp.ClientError, TimeoutError):
            self.record.upstream_down += 1
            return web.Response(status=502, text="exchange unreachable")
        self._observe(request.path, data)
        if fault is not None:
            self.record.faults[fault] += 1
        if fault == "lost_reply" and request.transport is not None:
            request.transport.abort()  # executed upstream; the caller never hears
            return web.Response(status=502)
        if fault == "truncated":
            return web.Response(body=data[: len(data) // 2], status=200, content_type="text/plain")
        if fault == "slow":
            return await self._trickle(request, data, status, ctype)
        return web.Response(body=data, status=status, headers={"Content-Type": ctype})

    async def _forward(self, request: web.Request, body: bytes) -> tuple[bytes, int, str]:
        """Send the request on and read the exchange's reply.

        Private calls go one at a time, in the order they reached the proxy: the runtime's
        overlapping calls on several connections would otherwise be free to overtake each other
        here, and the exchange refuses a nonce below one it has seen. Reordering is not one of
        the faults this proxy injects (docs/soak.md says what it found when it did).
        """
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        private = request.path.startswith("/0/private/")
        order = self._private_order if private else contextlib.nullcontext()
        url = self.target + request.path_qs
        async with (
            order,
            self._session.request(request.method, url, headers=headers, data=body) as upstream,
        ):
            data, status = await upstream.read(), upstream.status
            return data, status, upstream.headers.get("Content-Type", "application/json")

    async def _trickle(
        self, request: web.Request, data: bytes, status: int, ctype: str
    ) -> web.StreamResponse:
        """Headers at once, then the body in pieces over up to ``slow_max`` seconds."""
        resp = web.StreamResponse(status=status, headers={"Content-Type": ctype})
        resp.content_length = len(data)
        total = self.rng.uniform(0.5, self.rates.slow_max)
        pieces = 8
        step = max(1, len(data) // pieces)
        try:
            await resp.prepare(request)
            for i in range(0, len(data), step):
                await asyncio.sleep(total / pieces)
                await resp.write(data[i : i + step])
            await resp.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the caller gave up (its deadline): the point of a slow reply
        return resp

    def _observe(self, path: str, data: bytes) -> None:
        """Note dead man replies and rate-limit errors in what the exchange answered."""
        try:
            reply = json.loads(data)
        except ValueError:
            return
        if not isinstance(reply, dict):
            return
        self.note_errors(reply.get("error") or [])
        if path.endswith("/CancelAllOrdersAfter"):
            self.note_dead_man(reply.get("result"))

    def note_dead_man(self, result: object) -> None:
        """Keep an executed CancelAllOrdersAfter's times (REST ``result`` or WS ``result``)."""
        if isinstance(result, list) and result:
            result = result[0]
        if not isinstance(result, dict) or "currentTime" not in result:
            return
        trigger = str(result.get("triggerTime") or "0")
        self.record.dead_man.append(
            DeadManReply(_rfc3339(str(result["currentTime"])), _rfc3339(trigger))
        )

    def note_errors(self, errors: object) -> None:
        """Count rate-limit and lockout errors among an exchange reply's error strings."""
        if isinstance(errors, str):
            errors = [errors]
        if not isinstance(errors, list):
            return
        for error in errors:
            if any(mark in str(error) for mark in LOCKOUT_ERRORS):
                self.record.lockouts[str(error)] += 1

    # ----- WebSocket ------------------------------------------------------------------------
    async def _ws(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        client = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=16 * 1024**2)
        await client.prepare(request)
        target = self.target.replace("http://", "ws://") + request.path
        try:
            upstream = await self._session.ws_connect(target, max_msg_size=16 * 1024**2)
        except (aiohttp.ClientError, TimeoutError):
            self.record.upstream_down += 1
            await client.close(code=1011, message=b"exchange unreachable")
            return client
        private = request.path.startswith("/ws-auth")
        pump = WsPump(client, upstream, private, self)
        self._pumps.add(pump)
        try:
            await pump.run()
        finally:
            self._pumps.discard(pump)
        return client


def _rfc3339(text: str) -> float:
    if text in ("", "0"):
        return 0.0
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


__all__ = ["LOCKOUT_ERRORS", "DeadManReply", "FaultProxy", "ProxyRecord"]
