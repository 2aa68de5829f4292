"""The paper exchange as a separate process (the CLI), and a small WS v2 trading client.

Both are test-side code: the process is driven only through its command line, its stdout and
signals, and the WS client speaks the documented wire format itself (no adapter code), so a
durability bug cannot hide behind a shared helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from tests.integration.paper.kraken_client import Client
from tests.support.paths import ROOT

# A fixed demo key, so every restart on one database is reached with the same credentials.
API_KEY = "persist-key"
API_SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
_req_ids = itertools.count(1)


@dataclass
class PaperProcess:
    """A running ``python -m src.venues.kraken_paper`` and the URLs it printed."""

    proc: asyncio.subprocess.Process
    urls: dict[str, str]

    @property
    def rest_url(self) -> str:
        """The printed REST base URL."""
        return self.urls["REST URL"]

    @property
    def ws_auth_url(self) -> str:
        """The printed private WebSocket URL."""
        return self.urls["WebSocket auth URL"]

    def client(self) -> Client:
        """A signed REST client for the demo account."""
        return Client(self.rest_url, API_KEY, API_SECRET)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, whatever is not on disk is gone."""
        os.kill(self.proc.pid, signal.SIGKILL)
        await asyncio.wait_for(self.proc.wait(), timeout=10)

    async def stop(self) -> None:
        """SIGTERM: the CLI's clean shutdown; it must exit 0."""
        self.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(self.proc.wait(), timeout=30) == 0


async def start_process(db: Path, *args: str, log: Path | None = None) -> PaperProcess:
    """Start the CLI on ``db`` with extra ``args`` and wait until it prints its credentials."""
    argv = [sys.executable, "-m", "src.venues.kraken_paper", "--port", "0", "--db", str(db),
            "--api-key", API_KEY, "--api-secret", API_SECRET, *args]  # fmt: skip
    err_path = log or db.with_suffix(".stderr")
    with err_path.open("ab") as err:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=err
        )
    assert proc.stdout is not None
    urls: dict[str, str] = {}
    try:
        async with asyncio.timeout(60):
            while "API secret" not in urls:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"exchange exited: {err_path.read_text()[-2000:]}")
                name, sep, value = line.partition(": ")
                if sep:
                    urls[name.strip()] = value.strip()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        raise
    return PaperProcess(proc, urls)


async def ticker_last(client: Client, pair: str) -> Decimal:
    """The Ticker's last trade price of ``pair`` (the first result)."""
    body = await client.public("Ticker", pair=pair)
    assert body["error"] == [], body
    return Decimal(next(iter(body["result"].values()))["c"][0])


async def server_time(client: Client) -> int:
    """The Time endpoint's ``unixtime``."""
    body = await client.public("Time")
    assert body["error"] == [], body
    return int(body["result"]["unixtime"])


class WsTrader:
    """A private WS v2 connection that sends one request at a time and returns its reply."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
        self.ws, self.token = ws, token

    async def call(self, method: str, replies: int = 1, **params: Any) -> list[dict[str, Any]]:
        """Send ``method`` with the token; the ``replies`` frames answering it, in order."""
        req_id = next(_req_ids)
        await self.ws.send_str(
            json.dumps({"method": method, "req_id": req_id,
                        "params": {**params, "token": self.token}})
        )  # fmt: skip
        out: list[dict[str, Any]] = []
        async with asyncio.timeout(10):
            while len(out) < replies:
                frame = json.loads(await self.ws.receive_str(), parse_float=Decimal)
                if frame.get("method") == method and frame.get("req_id") == req_id:
                    out.append(frame)
        return out


@contextlib.asynccontextmanager
async def ws_trader(ws_auth_url: str, client: Client) -> AsyncIterator[WsTrader]:
    """A ``WsTrader`` on a private endpoint, with a token from GetWebSocketsToken."""
    token = (await client.ok("GetWebSocketsToken"))["token"]
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_auth_url) as ws:
        yield WsTrader(ws, token)


__all__ = [
    "PaperProcess",
    "WsTrader",
    "server_time",
    "start_process",
    "ticker_last",
    "ws_trader",
]
