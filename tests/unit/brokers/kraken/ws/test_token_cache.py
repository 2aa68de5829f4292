"""Private connections share one WebSocket token for a minute instead of fetching one each."""

from __future__ import annotations

import asyncio

from src.brokers.kraken.ws.token import WsTokenCache


class Fetcher:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(0)
        return f"token-{self.calls}"


async def test_concurrent_connects_share_one_fetch_and_a_stale_token_is_renewed() -> None:
    now = [0.0]
    fetch = Fetcher()
    cache = WsTokenCache(fetch, max_age=60, clock=lambda: now[0])
    tokens = await asyncio.gather(cache(), cache(), cache())
    assert list(tokens) == ["token-1"] * 3 and fetch.calls == 1
    now[0] = 59.9
    assert await cache() == "token-1"
    now[0] = 60.0
    assert await cache() == "token-2" and fetch.calls == 2


async def test_an_invalidated_token_is_fetched_again() -> None:
    fetch = Fetcher()
    cache = WsTokenCache(fetch, clock=lambda: 0.0)
    assert await cache() == "token-1"
    cache.invalidate()
    assert await cache() == "token-2"
