"""One proxied WebSocket: frames both ways, plus drops, malformed frames and lost WS replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter
from typing import Protocol

import aiohttp
from aiohttp import web

from src.app.soak.schedule import FaultRates

#: Methods whose reply a ``ws_lost_reply`` fault swallows (the exchange has acted on them).
ORDER_METHODS = ("add_order", "amend_order", "edit_order", "cancel_order", "batch_add")

#: Frames no exchange should send: broken JSON, wrong shapes, binary, HTML. None of them is a
#: valid-looking execution or order report (a forged fill would be a different test).
PRIVATE_MALFORMED: tuple[str | bytes, ...] = (
    '{"channel":"executions","type":"update","data":[{"exec_type":"trade","order_id":"O',
    '{"channel":"executions","type":"update","data":"not a list"}',
    '{"channel":"executions","type":"update","data":[{"exec_type":"trade","last_qty":"x"}]}',
    '{"channel":"executions","type":"update","data":[null, 7]}',
    '{"method":"add_order","success":true,"result":null}',
    '{"method":"add_order","req_id":"x","success":"maybe"}',
    '{"channel":"balances","type":"update","data":[{"asset":7}]}',
    "[1, 2, 3]",
    "null",
    "<html><body>502 Bad Gateway</body></html>",
    b"\x00\xff\x10binary",
)
PUBLIC_MALFORMED: tuple[str | bytes, ...] = (
    '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[["x","1"]]}]}',
    '{"channel":"book","type":"update","data":"oops"}',
    '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","checksum":"abc"',
    '{"channel":"ticker","type":"update","data":[{"symbol":null}]}',
    '{"channel":"trade","type":"update","data":[{"price":"1e999999"}]}',
    "{}",
    "not json at all",
    b"\xde\xad\xbe\xef",
)


class FaultHost(Protocol):
    """What a pump needs from its proxy: the dice, the rates, the tallies."""

    rng: random.Random
    rates: FaultRates
    enabled: bool
    ws_order_requests: int
    ws_seconds: Counter[str]

    @property
    def faults(self) -> Counter[str]:
        """Fault counts by kind."""
        ...

    def note_errors(self, errors: object) -> None:
        """Count rate-limit and lockout errors in an exchange reply."""
        ...

    def note_dead_man(self, result: object) -> None:
        """Keep an executed cancel_all_orders_after's times."""
        ...


class WsPump:
    """Copies frames between the runtime's socket and the exchange's until either side ends."""

    def __init__(
        self,
        client: web.WebSocketResponse,
        upstream: aiohttp.ClientWebSocketResponse,
        private: bool,
        host: FaultHost,
    ) -> None:
        self.client, self.upstream, self.private, self.host = client, upstream, private, host
        self.kind = "private" if private else "public"

    async def run(self) -> None:
        """Pump until a side closes or a fault drops the connection."""
        tasks = [
            asyncio.create_task(self._to_exchange()),
            asyncio.create_task(self._to_runtime()),
            asyncio.create_task(self._chaos()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.close()

    async def close(self) -> None:
        """Close both sides (idempotent)."""
        with contextlib.suppress(Exception):
            await self.client.close()
        with contextlib.suppress(Exception):
            await self.upstream.close()

    async def _to_exchange(self) -> None:
        async for msg in self.client:
            if msg.type is aiohttp.WSMsgType.TEXT:
                await self.upstream.send_str(msg.data)
                if self._lose_reply(msg.data):
                    await asyncio.sleep(0.05)  # let the exchange act on it, then cut the line
                    return
            elif msg.type is aiohttp.WSMsgType.BINARY:
                await self.upstream.send_bytes(msg.data)
            else:
                return

    def _lose_reply(self, text: str) -> bool:
        host = self.host
        if not (self.private and host.enabled and host.rates.ws_lost_reply > 0):
            return False
        if not any(f'"{m}"' in text for m in ORDER_METHODS):
            return False
        host.ws_order_requests += 1
        # Like the process plan, a run with faults on injects this kind at least once: by the
        # expected count of requests per fault, if the dice have not done it yet. Few orders
        # ride WS, so pure odds left whole runs without one (a CI failure).
        overdue = (
            host.faults["ws_lost_reply"] == 0
            and host.ws_order_requests * host.rates.ws_lost_reply >= 1.0
        )
        if not overdue and host.rng.random() >= host.rates.ws_lost_reply:
            return False
        host.faults["ws_lost_reply"] += 1
        return True

    async def _to_runtime(self) -> None:
        async for msg in self.upstream:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self._observe(msg.data)
                await self.client.send_str(msg.data)
            elif msg.type is aiohttp.WSMsgType.BINARY:
                await self.client.send_bytes(msg.data)
            else:
                return

    def _observe(self, text: str) -> None:
        """Errors and dead man replies in what the exchange sent (the dead man rides WS too)."""
        if "error" not in text and "cancel_all_orders_after" not in text:
            return
        with contextlib.suppress(ValueError):
            frame = json.loads(text)
            if not isinstance(frame, dict):
                return
            self.host.note_errors(frame.get("error"))
            if frame.get("method") == "cancel_all_orders_after" and frame.get("success"):
                self.host.note_dead_man(frame.get("result"))

    async def _chaos(self) -> None:
        """Once a second: maybe send a malformed frame, maybe drop the connection."""
        host = self.host
        frames = PRIVATE_MALFORMED if self.private else PUBLIC_MALFORMED
        while True:
            await asyncio.sleep(1.0)
            if not host.enabled:
                continue
            host.ws_seconds[self.kind] += 1
            if self._strikes(f"ws_malformed_{self.kind}", host.rates.ws_malformed_per_s):
                frame = host.rng.choice(frames)
                if isinstance(frame, bytes):
                    await self.client.send_bytes(frame)
                else:
                    await self.client.send_str(frame)
            if self._strikes(f"ws_drop_{self.kind}", host.rates.ws_drop_per_s):
                return

    def _strikes(self, fault: str, per_second: float) -> bool:
        """Roll for ``fault`` this second and count it when it strikes.

        As with lost replies, a run with faults on injects each kind at least once: by the
        expected count of seconds per fault, if the dice have not done it yet (pure odds left a
        CI run of the short soak without a single private socket drop).
        """
        host = self.host
        if per_second <= 0:
            return False
        overdue = host.faults[fault] == 0 and host.ws_seconds[self.kind] * per_second >= 1.0
        if not overdue and host.rng.random() >= per_second:
            return False
        host.faults[fault] += 1
        return True
