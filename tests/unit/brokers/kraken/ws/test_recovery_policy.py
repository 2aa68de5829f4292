"""BookRecovery's policy against a scripted connection: resubscribe, reconnect, never give up.

No sockets: ``ScriptedVenue`` stands in for the public connection and answers each subscribe
or reconnect with a snapshot that is bad for the first ``bad`` times, the way the reader of
``KrakenMarketData`` would report it to the recovery.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.book import OrderBook
from src.brokers.kraken.ws.book_recovery import BookRecovery
from src.brokers.kraken.ws.frames import ResponseFrame
from src.brokers.kraken.ws.market_models import LiveBook
from src.core.clock import ManualClock
from tests.support.waiting import eventually


class ScriptedVenue:
    """The connection BookRecovery drives, with snapshots bad the first ``bad`` times."""

    def __init__(self, clock: ManualClock, bad: int) -> None:
        self.clock = clock
        self.bad = bad
        self.snapshots = 0
        self.connects = 1
        self.connected = True
        self.subscribed: set[str] = set()
        self.recovery: BookRecovery | None = None
        self.live: LiveBook | None = None
        self.muted = False  # the book was unsubscribed: the reader reports nothing more
        self.surprises = 0  # reconnects that raise something unexpected first

    def is_subscribed(self, params: dict[str, Any]) -> bool:
        return str(params["symbol"][0]) in self.subscribed

    async def unsubscribe(self, params: dict[str, Any]) -> ResponseFrame:
        self.subscribed.discard(str(params["symbol"][0]))
        return ResponseFrame("unsubscribe", True)

    async def subscribe(self, params: dict[str, Any]) -> ResponseFrame:
        self.subscribed.add(str(params["symbol"][0]))
        asyncio.get_running_loop().call_soon(self.snapshot)  # after the ack, like Kraken
        return ResponseFrame("subscribe", True)

    async def reconnect(self, timeout: float) -> bool:
        if self.surprises:
            self.surprises -= 1
            raise RuntimeError("something nobody expected")
        self.connects += 1
        if self.subscribed:
            self.snapshot()  # the replayed subscription's snapshot
        return True

    def snapshot(self) -> None:
        assert self.recovery is not None and self.live is not None
        if self.muted:
            return
        self.snapshots += 1
        if self.snapshots <= self.bad:
            self.live.checksum_failures += 1
            self.live.mark_stale("checksum mismatch on snapshot", datetime.now(UTC))
            self.recovery.failed(self.live)
        else:
            self.live.mark_valid(self.clock.monotonic())
        self.recovery.snapshot_seen(self.live.symbol)


def _setup(bad: int, budget: int, window: float = 60.0) -> tuple[ScriptedVenue, LiveBook]:
    clock = ManualClock()
    venue = ScriptedVenue(clock, bad)
    backoff = Backoff(initial=0.5, cap=8.0, rng=random.Random(2))
    venue.recovery = BookRecovery(
        cast(Any, venue), clock, budget=budget, window=window, snapshot_timeout=1.0,
        backoff=backoff,
    )  # fmt: skip
    venue.live = LiveBook(OrderBook("BTC/USD", 10, 1, 8))
    venue.subscribed.add("BTC/USD")
    return venue, venue.live


async def test_bad_snapshots_within_the_budget_are_repaired_by_resubscribing() -> None:
    venue, live = _setup(bad=3, budget=3)
    venue.snapshot()  # the first snapshot is bad, and the first two resubscribes' too
    await eventually(lambda: live.valid)
    assert (live.resubscribes, live.reconnects, venue.connects) == (3, 0, 1)
    assert live.stale_since is None and live.stale_reason is None


async def test_past_the_budget_the_socket_is_reconnected_and_counting_restarts() -> None:
    venue, live = _setup(bad=5, budget=2)
    venue.snapshot()
    await eventually(lambda: live.valid)
    # bad: first, r1, r2 -> reconnect (its replay bad) -> r1 bad -> r2 good
    assert (live.resubscribes, live.reconnects, venue.connects) == (4, 1, 2)


async def test_it_never_gives_up_and_the_stale_spell_keeps_its_start() -> None:
    venue, live = _setup(bad=10**9, budget=2)
    venue.snapshot()
    since = live.stale_since
    await eventually(lambda: live.reconnects >= 20, timeout=10)
    assert live.stale and live.stale_since == since
    venue.bad = 0  # the venue heals
    await eventually(lambda: live.valid)
    assert venue.recovery is not None and not venue.recovery.recovering("BTC/USD")


@pytest.mark.parametrize(("healthy_for", "reconnects"), [(0.0, 1), (61.0, 0)])
async def test_a_long_healthy_spell_starts_the_count_afresh(
    healthy_for: float, reconnects: int
) -> None:
    venue, live = _setup(bad=1, budget=1, window=60.0)
    venue.snapshot()  # bad, then one resubscribe repairs it: the budget is used up
    await eventually(lambda: live.valid)
    assert live.resubscribes == 1
    venue.clock.advance(healthy_for)
    venue.bad = venue.snapshots + 1  # the next snapshot is bad again, then good
    venue.snapshot()
    await eventually(lambda: live.valid)
    assert live.reconnects == reconnects  # soon after a repair: reconnect; long after: resubscribe


async def test_forget_stops_the_recovery() -> None:
    venue, live = _setup(bad=10**9, budget=2)
    venue.snapshot()
    assert venue.recovery is not None
    await eventually(lambda: live.resubscribes >= 1)
    venue.muted = True  # as KrakenMarketData.unsubscribe drops the book
    venue.recovery.forget("BTC/USD")
    tried = live.resubscribes
    for _ in range(20):
        await asyncio.sleep(0)
    assert not venue.recovery.recovering("BTC/USD") and live.resubscribes == tried
    await venue.recovery.close()


def test_live_book_staleness_flags() -> None:
    live = LiveBook(OrderBook("BTC/USD", 10, 1, 8))
    assert live.stale and not live.valid and live.stale_reason == "waiting for the first snapshot"
    live.mark_valid(1.0)
    assert live.valid and live.stale_since is None and live.valid_at == 1.0
    first = datetime(2026, 1, 1, tzinfo=UTC)
    live.mark_stale("checksum mismatch on update", first)
    live.mark_stale("connection lost; waiting for a fresh snapshot", datetime.now(UTC))
    assert live.stale_since == first  # the spell's start is kept
    assert live.stale_reason == "connection lost; waiting for a fresh snapshot"  # the latest


async def test_a_surprise_during_recovery_does_not_end_it() -> None:
    venue, live = _setup(bad=3, budget=1)
    venue.surprises = 1
    venue.snapshot()
    await eventually(lambda: live.valid)
    assert venue.connects >= 2 and live.reconnects >= 2  # the failed one, then a real one
