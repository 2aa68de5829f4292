"""A book always recovers: checksum mismatches and dropped sockets, over real loopback sockets.

The paper exchange serves the book; a proxy between it and the client corrupts the checksum of
chosen book frames (the first K snapshots or updates, or all of them until told to stop), or
drops the socket. The book must say it is stale from the mismatch until a fresh snapshot,
resubscribe with backoff, reconnect the socket when resubscribes keep failing, and never stay
invalid once the venue is healthy.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.market_data import KrakenMarketData
from src.core.errors import StaleDataError
from tests.support.waiting import eventually
from tests.support.ws_fault_proxy import WsFaultProxy

pytestmark = pytest.mark.integration

_CHECKSUM = re.compile(r'("checksum":\s*)(\d+)')


class CorruptBooks:
    """Flips a bit of the checksum of chosen book frames (the levels stay as sent).

    Args:
        snapshots: corrupt the first this many book snapshots.
        updates: corrupt the first this many book updates.
        always: corrupt every book frame while True (a venue that stays broken).
    """

    def __init__(self, snapshots: int = 0, updates: int = 0, always: bool = False) -> None:
        self.snapshots, self.updates, self.always = snapshots, updates, always
        self.seen = {"snapshot": 0, "update": 0}
        self.corrupted = 0

    def __call__(self, text: str) -> list[str | bytes]:
        if '"book"' not in text:
            return [text]
        kind = json.loads(text).get("type")
        if kind not in self.seen:
            return [text]
        self.seen[kind] += 1
        limit = self.snapshots if kind == "snapshot" else self.updates
        if self.always or self.seen[kind] <= limit:
            self.corrupted += 1
            text = _CHECKSUM.sub(lambda m: f"{m[1]}{int(m[2]) ^ 1}", text)
        return [text]


def _fast() -> Backoff:
    return Backoff(initial=0.02, cap=0.1, rng=random.Random(5))


def _slow() -> Backoff:
    """Resubscribe delays of 0.2-0.4 s: long enough to watch the book while it is stale."""
    return Backoff(initial=0.4, cap=0.4, rng=random.Random(5))


@pytest.fixture
async def proxy(exchange: Any) -> AsyncIterator[WsFaultProxy]:
    async with WsFaultProxy(exchange.ws_url) as proxy:
        yield proxy


def _market_data(
    exchange: Any, proxy: WsFaultProxy, budget: int = 3, resubscribe: Backoff | None = None
) -> KrakenMarketData:
    return KrakenMarketData(
        ws_url=proxy.url,
        rest_url=exchange.rest_url,
        checksum_budget=budget,
        backoff=_fast(),
        resubscribe_backoff=resubscribe or _fast(),
        snapshot_timeout=2.0,
    )


async def _next(iterator: AsyncIterator[Any], timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(iterator.__anext__(), timeout)


async def test_corrupt_snapshots_and_updates_recovered_by_resubscribing(
    exchange: Any, proxy: WsFaultProxy
) -> None:
    faults = proxy.rewrite = CorruptBooks(snapshots=2, updates=1)
    async with _market_data(exchange, proxy, budget=3, resubscribe=_slow()) as md:
        await md.subscribe_book("BTC/USD")
        live = md.book("BTC/USD")
        await eventually(lambda: live.checksum_failures == 1, "the first bad snapshot")
        assert live.stale and not live.valid
        assert live.stale_reason is not None and "checksum" in live.stale_reason
        # two bad snapshots, then a good one: two resubscribes, one connection
        await eventually(lambda: live.valid, "first repair", timeout=5)
        assert faults.seen["snapshot"] == 3 and live.resubscribes == 2
        assert live.checksum_failures == 2 and md.connection.connects == 1
        assert live.stale_since is None and live.stale_reason is None
        before = datetime.now(UTC)
        exchange.drive("BTC/USD", live.asks[0][0], "0.01", "buy")  # the first update: corrupt
        await eventually(lambda: live.checksum_failures == 3, "the bad update")
        since = live.stale_since
        assert live.stale and since is not None and since.tzinfo is UTC and since >= before
        with pytest.raises(StaleDataError, match=r"book BTC/USD: stale since .*checksum"):
            md.book("BTC/USD", require_valid=True)
        await eventually(lambda: live.valid, "second repair", timeout=5)
        assert live.resubscribes == 3 and md.connection.connects == 1
        updates = md.iter_books("BTC/USD")
        exchange.drive("BTC/USD", live.asks[0][0], "0.01", "buy")
        update = await _next(updates)
        assert update.checksum_ok and live.valid
        assert md.book("BTC/USD", require_valid=True) is live


async def test_resubscribes_that_keep_failing_reconnect_the_socket(
    exchange: Any, proxy: WsFaultProxy
) -> None:
    # budget 2: the first snapshot and two resubscribes fail, then the socket is rebuilt; the
    # snapshot after the reconnect is bad too, and the next resubscribe finally repairs it
    faults = proxy.rewrite = CorruptBooks(snapshots=4)
    async with _market_data(exchange, proxy, budget=2) as md:
        await md.subscribe_ticker("ETH/USD")
        await md.subscribe_book("BTC/USD")
        live = md.book("BTC/USD")
        await eventually(lambda: live.valid, "the book repaired", timeout=10)
        assert faults.seen["snapshot"] == 5
        assert md.connection.reconnects == 1 and live.reconnects == 1
        assert live.resubscribes == 3  # two before the reconnect, one after
        # the reconnect replayed every subscription, not just the book
        price = (md.ticker("ETH/USD").last + 3).quantize(Decimal("0.01"))
        exchange.drive("ETH/USD", price, "0.1", "buy")
        await eventually(lambda: md.ticker("ETH/USD").last == price)
        updates = md.iter_books("BTC/USD")
        exchange.drive("BTC/USD", live.asks[0][0], "0.01", "buy")
        assert (await _next(updates)).checksum_ok and live.valid


async def test_a_book_never_gives_up_while_the_venue_is_broken(
    exchange: Any, proxy: WsFaultProxy
) -> None:
    faults = proxy.rewrite = CorruptBooks(always=True)
    async with _market_data(exchange, proxy, budget=2) as md:
        await md.subscribe_book("BTC/USD")
        live = md.book("BTC/USD")
        await eventually(lambda: live.reconnects >= 3, "repeated reconnects", timeout=15)
        first = live.stale_since
        assert live.stale and first is not None and first.tzinfo is UTC
        # the reason is the latest cause: the forced reconnect's drop, then the next mismatch
        await eventually(lambda: "checksum" in (live.stale_reason or ""), "a checksum reason")
        await eventually(lambda: live.resubscribes >= 8, "still trying", timeout=15)
        assert live.stale_since == first  # one stale spell, however many attempts
        faults.always = False  # the venue heals: the next attempt repairs the book
        await eventually(lambda: live.valid, "the book repaired once healthy", timeout=10)
        assert live.stale_since is None
        attempts = (live.resubscribes, live.reconnects)
        updates = md.iter_books("BTC/USD")
        exchange.drive("BTC/USD", live.asks[0][0], "0.01", "buy")
        assert (await _next(updates)).checksum_ok
        assert live.valid and (live.resubscribes, live.reconnects) == attempts


async def test_a_dropped_socket_makes_the_book_stale_until_a_fresh_snapshot(
    exchange: Any, proxy: WsFaultProxy
) -> None:
    async with _market_data(exchange, proxy) as md:
        await md.subscribe_book("BTC/USD")
        live = md.book("BTC/USD")
        await eventually(lambda: live.valid)
        assert md.book("BTC/USD", require_valid=True) is live
        proxy.refuse = True  # dropped, and kept away until the test lets it back
        await proxy.drop_connections()
        await eventually(lambda: live.stale, "stale after the drop")
        assert live.stale_reason is not None and "connection" in live.stale_reason
        assert live.stale_since is not None and live.stale_since.tzinfo is UTC
        with pytest.raises(StaleDataError, match="connection"):
            md.book("BTC/USD", require_valid=True)
        proxy.refuse = False
        await eventually(lambda: live.valid, "fresh after the reconnect's snapshot", timeout=5)
        assert md.connection.reconnects >= 1 and live.checksum_failures == 0
        assert live.resubscribes == 0  # the reconnect's replay alone repaired it
