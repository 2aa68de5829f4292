"""Fan-out of stream items to any number of async iterators (bounded, oldest dropped)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

__all__ = ["Fanout"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Fanout(Generic[T]):
    """Deliver each published item to every live iterator.

    A slow consumer loses its oldest items rather than stalling the socket reader; ``dropped``
    counts them so the loss is visible.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        self._queues: list[asyncio.Queue[T | None]] = []
        self._maxsize = maxsize
        self.dropped = 0

    @property
    def has_readers(self) -> bool:
        """True while some iterator is open: build an item only then (the hot book path)."""
        return bool(self._queues)

    def publish(self, item: T) -> None:
        """Offer ``item`` to every iterator."""
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(item)

    def close(self) -> None:
        """End every iterator."""
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)

    def iterate(self, accept: Callable[[T], bool] | None = None) -> AsyncIterator[T]:
        """Yield items published from this call on (those ``accept`` keeps) until ``close``."""
        queue: asyncio.Queue[T | None] = asyncio.Queue(self._maxsize)
        self._queues.append(queue)  # registered now, so nothing is missed before the first next
        return self._drain(queue, accept)

    async def _drain(
        self, queue: asyncio.Queue[T | None], accept: Callable[[T], bool] | None
    ) -> AsyncIterator[T]:
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if accept is None or accept(item):
                    yield item
        finally:
            if queue in self._queues:
                self._queues.remove(queue)
