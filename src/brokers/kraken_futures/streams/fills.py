"""``stream_fills()``: own fills exactly once, across reconnects, from the WS ``fills`` feed.

Exactly once: a fill is delivered the first time its ``fill_id`` is seen, from whichever
source shows it first: a ``fills`` delta, the ``fills_snapshot`` Kraken sends on every
(re)subscribe, a REST ``/fills`` reconcile after each reconnect (the snapshot holds only the
last 100), or REST polling while the socket is down. Fills older than the moment of
subscribing are history, not news: they are marked seen without being delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from src.brokers.kraken_futures.streams.fill_log import SeenFills
from src.brokers.kraken_futures.ws.parse import ws_fill
from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import Fill
from src.utils.logging import get_logger

__all__ = ["OVERLAP", "FillSource", "FillStream"]

log = get_logger(__name__)
#: How far before the last outage a REST reconcile looks (venue and host clocks differ).
OVERLAP = timedelta(seconds=30)
_CLOSED = object()


class FillSource(Protocol):
    """What the stream needs of the adapter: REST fills, a clock and the poll interval."""

    clock: Clock
    fill_poll_interval: float

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Own fills at or after ``since``, oldest first."""
        ...


class FillStream:
    """Fans fills out to every ``subscribe()``; fed by ``on_frame`` and the REST reconciles.

    Args:
        source: the adapter (REST ``get_fills``, clock, poll interval).
    """

    def __init__(self, source: FillSource) -> None:
        self.source = source
        self.seen = SeenFills()
        self.started_at: datetime | None = None
        self.down_since: datetime | None = None
        self.delivered = 0
        self._queues: list[asyncio.Queue[Any]] = []
        self._snapshots = 0
        self._poller: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ subscribers
    async def subscribe(self) -> AsyncIterator[Fill]:
        """Yield fills as they arrive until ``close``."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._queues.append(queue)
        if self.started_at is None:
            self.started_at = self.source.clock.now()
        try:
            while True:
                item = await queue.get()
                if item is _CLOSED:
                    return
                yield item
        finally:
            self._queues.remove(queue)

    async def close(self) -> None:
        """End every subscriber and stop polling."""
        await self._stop_polling()
        for queue in self._queues:
            queue.put_nowait(_CLOSED)

    def _deliver(self, fills: Iterable[Fill]) -> None:
        for fill in sorted(fills, key=lambda f: (f.timestamp, f.fill_id)):
            if self.seen.add(fill.fill_id):
                self.delivered += 1
                for queue in self._queues:
                    queue.put_nowait(fill)

    # ------------------------------------------------------------------ feed
    def on_frame(self, frame: dict[str, Any]) -> None:
        """A ``fills_snapshot`` or ``fills`` message from the private connection."""
        feed = frame.get("feed")
        fills = [ws_fill(row) for row in frame.get("fills") or []]
        if feed == "fills_snapshot":
            self._snapshots += 1
            if self._snapshots == 1 and self.started_at is not None:
                # Before we subscribed: history. After: news the socket was slower to show.
                self.seen.update(f.fill_id for f in fills if f.timestamp < self.started_at)
        self._deliver(fills)

    async def on_connected(self) -> None:
        """After a reconnect: stop polling and fetch what the outage may have hidden."""
        await self._stop_polling()
        since, self.down_since = self.down_since, None
        if since is not None:
            await self._reconcile(since - OVERLAP)

    def on_disconnected(self) -> None:
        """The socket is gone: remember when, and poll REST until it is back."""
        self.down_since = self.source.clock.now()
        if self._queues and (self._poller is None or self._poller.done()):
            self._poller = asyncio.create_task(self._poll())

    async def _reconcile(self, since: datetime) -> None:
        try:
            fills = await self.source.get_fills(since)
        except BrokerError as exc:  # the next reconnect or poll tries again
            log.warning("kraken_futures.fill_reconcile_failed", error=str(exc))
            return
        self._deliver(fills)

    async def _poll(self) -> None:
        while True:
            if self.down_since is not None:
                await self._reconcile(self.down_since - OVERLAP)
            await self.source.clock.sleep(self.source.fill_poll_interval)

    async def _stop_polling(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
