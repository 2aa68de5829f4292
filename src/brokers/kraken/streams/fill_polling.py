"""Fill streams: the small interface ``stream_fills`` reads from, and a TradesHistory poller.

``KrakenAdapter.stream_fills`` reads the WebSocket ``executions`` channel (``ws_fills``); this
poller is its fallback for a key without the WebSocket-token permission. Both start with a
:class:`StartBaseline`: fills that already existed when iteration started are never yielded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
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


class StartBaseline:
    """Decides which fills are new for a stream that started at ``started``.

    The baseline is the set of fill ids the venue already showed when the stream started
    (its first fetch or snapshot, which reaches back ``lookback``). Fills in that first
    answer are split by timestamp: before ``started`` they are baseline (never yielded), at
    or after it they were made while the stream was starting and are new. Every later fill
    is decided by identity alone: new unless its id is in the baseline, so a fill that shows
    up late with an earlier timestamp is still yielded; only fills older than the first
    answer's reach (``started - lookback``) are ignored.

    Clock assumption: only the split of the first answer compares the venue's timestamps
    with the local clock. A fill made during that first request while the venue's clock runs
    behind ours is taken as baseline (missed), and one made just before start while the
    venue's clock runs ahead is yielded; either needs a skew larger than the time between
    the fill and ``started``, i.e. at most the first request's round trip.

    Args:
        started: when iteration started (tz-aware UTC, local clock).
        lookback: how far before ``started`` the first fetch reaches.
    """

    def __init__(self, started: datetime, lookback: timedelta) -> None:
        self.started = started
        self.floor = started - lookback
        self.ids: set[str] = set()
        self.ready = False

    def settle(self, known: Iterable[Fill]) -> list[Fill]:
        """Take the first answer: record the baseline, return its fills made since start."""
        fresh: list[Fill] = []
        for fill in known:
            if fill.timestamp < self.started:
                self.ids.add(fill.fill_id)
            else:
                fresh.append(fill)
        self.ready = True
        return sorted(fresh, key=lambda f: f.timestamp)

    def settle_by_time(self) -> None:
        """No first answer could be read: fall back to the timestamp rule alone."""
        self.floor = self.started
        self.ready = True

    def is_new(self, fill: Fill) -> bool:
        """True for a fill that did not exist (as far as the venue showed) at start."""
        return fill.fill_id not in self.ids and fill.timestamp >= self.floor


class PollingFillSource:
    """Polls a ``fetch(since)`` function and yields each fill made after start, once.

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

    async def _poll(self, since: datetime) -> list[Fill] | None:
        try:
            return await self._fetch(since)
        except BrokerError as error:
            if not error.retryable:
                raise
            log.warning("kraken.fill_poll_failed", error=str(error))
            return None

    async def fills(self) -> AsyncIterator[Fill]:
        """Yield each fill made since start once; transient errors are logged and retried.

        The first successful poll is the baseline (see :class:`StartBaseline`); fills it
        shows from before start are remembered and never yielded.
        """
        baseline = StartBaseline(self._start or self._clock.now(), self._overlap)
        since = baseline.started
        seen: dict[str, datetime] = {}
        while True:
            batch = await self._poll(since - self._overlap)
            if batch is not None and not baseline.ready:
                batch = baseline.settle(batch)
            for fill in sorted(batch or [], key=lambda f: f.timestamp):
                if fill.fill_id in seen or not baseline.is_new(fill):
                    continue
                seen[fill.fill_id] = fill.timestamp
                yield fill
            if seen:
                since = max(since, *seen.values())
                cutoff = since - 2 * self._overlap  # older than any later poll reaches
                seen = {k: t for k, t in seen.items() if t >= cutoff}
            await self._clock.sleep(self.interval)
