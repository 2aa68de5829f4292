"""A loopback HTTP proxy with fault knobs, for venues whose own server lacks a fault.

It forwards method, path, query, headers and body unchanged (signatures stay valid) and can
answer the next matching request with truncated JSON, or abort the connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

_HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


@dataclass
class _Rule:
    prefix: str
    times: int
    action: str  # "malform" or "abort"


@dataclass
class FaultProxy:
    """``async with FaultProxy(target) as proxy:`` then point the adapter at ``proxy.url``."""

    target: str
    rules: list[_Rule] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    def malform_next(self, path_prefix: str, times: int = 1) -> None:
        """Forward, then replace the reply body with truncated JSON."""
        self.rules.append(_Rule(path_prefix, times, "malform"))

    def abort_next(self, path_prefix: str, times: int = 1) -> None:
        """Drop the connection without forwarding."""
        self.rules.append(_Rule(path_prefix, times, "abort"))

    def _take(self, path: str) -> str | None:
        for rule in self.rules:
            if path.startswith(rule.prefix) and rule.times > 0:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
                return rule.action
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        action = self._take(request.path)
        if action == "abort" and request.transport is not None:
            request.transport.abort()
            return web.Response(status=502)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self._session.request(
            request.method,
            self.target + request.path_qs,
            headers=headers,
            data=await request.read(),
        ) as upstream:
            body = await upstream.read()
            status = upstream.status
            content_type = upstream.headers.get("Content-Type", "application/json")
        if action == "malform":
            body, status = b'{"error": [], "result": {"ZU', 200
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
