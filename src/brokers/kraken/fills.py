"""Fill streams: the small interface ``stream_fills`` reads from, and a TradesHistory poller.

``KrakenAdapter.stream_fills`` reads the WebSocket ``executions`` channel (``ws_fills``); this
poller is its fallback for a key without the WebSocket-token permission.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import Fill
from src.utils.logging import get_logger

log = get_logger(__name__)


class FillSource(Protocol):
    """Anything that yields the account's fills as they happen, each once."""

    def fills(self) -> AsyncIterator[Fill]:
        """Yield new fills, oldest first, forever (until cancelled)."""
        ...


class PollingFillSource:
    """Polls a ``fetch(since)`` function and yields each fill id once.

    Args:
        fetch: returns fills with time >= since (e.g. the adapter's ``get_fills``).
        clock: used for ``now`` (start) and ``sleep`` between polls.
        interval: seconds between polls.
        start: first fill time of interest (default: when iteration starts).
        overlap: how far back each poll reaches before the newest fill seen, so fills that
            appear late with an earlier timestamp are not missed (duplicates are dropped).
    """

    def __init__(
        self,
        fetch: Callable[[datetime | None], Awaitable[list[Fill]]],
        clock: Clock,
        *,
        interval: float = 2.0,
        start: datetime | None = None,
        overlap: float = 60.0,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self.interval = interval
        self._start = start
        self._overlap = timedelta(seconds=overlap)

    async def fills(self) -> AsyncIterator[Fill]:
        """Yield each new fill once; transient errors are logged and the poll retried."""
        since = self._start or self._clock.now()
        seen: dict[str, datetime] = {}
        while True:
            try:
                batch = await self._fetch(since - self._overlap)
            except BrokerError as error:
                if not error.retryable:
                    raise
                log.warning("kraken.fill_poll_failed", error=str(error))
                batch = []
            for fill in sorted(batch, key=lambda f: f.timestamp):
                if fill.fill_id in seen or fill.timestamp < since - self._overlap:
                    continue
                seen[fill.fill_id] = fill.timestamp
                yield fill
            if seen:
                newest = max(seen.values())
                since = max(since, newest)
                cutoff = since - 2 * self._overlap
                seen = {k: t for k, t in seen.items() if t >= cutoff}
            await self._clock.sleep(self.interval)
