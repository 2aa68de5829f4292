"""One WebSocket token shared by every private connection of an adapter, for a short while."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: How long a fetched token is handed out again. Kraken's token must be used within 15 minutes
#: of its creation; a minute covers a start-up (fills, order updates and orders each connect)
#: and a burst of reconnects, and bounds how long a token Kraken no longer honours is retried.
TOKEN_REUSE_SECONDS = 60.0


class WsTokenCache:
    """Hands out one ``GetWebSocketsToken`` answer to every connect within ``max_age`` seconds.

    Each private connection used to fetch its own token: four REST calls at start-up, over a
    quarter of the starter tier's counter, spent before the bot could check its orders.
    Concurrent callers share one fetch.

    Args:
        fetch: returns a fresh token (the REST call).
        max_age: seconds a token is reused after it was fetched.
        clock: monotonic seconds (injected by tests).
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[str]],
        max_age: float = TOKEN_REUSE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self.max_age, self._clock = fetch, max_age, clock
        self._token: str | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def __call__(self) -> str:
        """A token fetched less than ``max_age`` seconds ago, or a new one."""
        async with self._lock:
            if self._token is None or self._clock() - self._fetched_at >= self.max_age:
                self._token = await self._fetch()
                self._fetched_at = self._clock()
                self.fetches += 1
            return self._token

    def invalidate(self) -> None:
        """Forget the token (the next connect fetches a new one)."""
        self._token = None
