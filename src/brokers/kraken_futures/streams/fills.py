"""``stream_fills()``: own fills exactly once, from ``/fills`` polling (WS v1 in ``ws_fills``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Protocol

from src.brokers.kraken_futures.streams.fill_log import SeenFills
from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import Fill
from src.utils.logging import get_logger

__all__ = ["FillStream"]

log = get_logger(__name__)
#: Fills are looked for this far back on each poll (the clocks of venue and host differ).
OVERLAP = timedelta(seconds=30)


class FillSource(Protocol):
    """What the stream needs of the adapter: REST fills, a clock and the poll interval."""

    clock: Clock
    fill_poll_interval: float

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Own fills at or after ``since``, oldest first."""
        ...


class FillStream:
    """Delivers each fill once per subscriber: fills made after it subscribed, in time order."""

    def __init__(self, adapter: FillSource) -> None:
        self.adapter = adapter
        self._closed = asyncio.Event()

    async def close(self) -> None:
        """Stop every subscriber."""
        self._closed.set()

    async def subscribe(self) -> AsyncIterator[Fill]:
        """Poll ``/fills``; a failed poll is logged and retried, never ends the stream."""
        seen = SeenFills()
        baseline = await self.adapter.get_fills()
        seen.update(f.fill_id for f in baseline)
        since = max((f.timestamp for f in baseline), default=self.adapter.clock.now())
        while not self._closed.is_set():
            try:
                fills = await self.adapter.get_fills(since - OVERLAP)
            except BrokerError as exc:
                log.warning("kraken_futures.fill_poll_failed", error=str(exc))
                fills = []
            for fill in fills:
                if seen.add(fill.fill_id):
                    since = max(since, fill.timestamp)
                    yield fill
            await self.adapter.clock.sleep(self.adapter.fill_poll_interval)
