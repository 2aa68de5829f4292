"""GapReconciler: one reconcile run at a time, retried until it succeeds, rechecked (no sockets)."""

from __future__ import annotations

import asyncio
import itertools
import random

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.gaps import GapReconciler
from src.core.clock import ManualClock
from src.core.errors import NetworkError
from tests.support.waiting import eventually


def _gaps(recheck: float | None = 2.0) -> tuple[GapReconciler, ManualClock]:
    clock = ManualClock()
    backoff = Backoff(initial=0.5, cap=4.0, rng=random.Random(1))
    return GapReconciler("test", clock, recheck=recheck, backoff=backoff), clock


async def test_a_burst_of_gaps_costs_two_runs_not_one_per_gap() -> None:
    gaps, _ = _gaps(recheck=None)
    release = asyncio.Event()
    calls: list[int] = []

    async def hook() -> None:
        calls.append(len(calls))
        await release.wait()

    gaps.add(hook)
    gaps.open("first")
    await eventually(lambda: calls == [0])
    for i in range(50):  # all while the first run is still under way
        gaps.open(f"bad frame {i}")
    assert gaps.pending
    release.set()
    await eventually(lambda: not gaps.pending)
    assert len(calls) == 2 and gaps.runs == 2 and gaps.gaps == 51


async def test_a_failing_reconcile_is_retried_with_backoff_until_it_succeeds() -> None:
    gaps, clock = _gaps(recheck=None)
    attempts: list[float] = []

    async def hook() -> None:
        attempts.append(clock.monotonic())
        if len(attempts) < 4:
            raise NetworkError("TradesHistory unavailable")

    gaps.add(hook)
    gaps.open("reconnected")
    await eventually(lambda: not gaps.pending)
    assert len(attempts) == 4 and gaps.failures == 3 and gaps.runs == 1
    waits = [b - a for a, b in itertools.pairwise(attempts)]
    assert waits == sorted(waits) and waits[0] > 0  # backing off, not hammering REST


async def test_an_unreadable_frame_gets_a_late_recheck_a_reconnect_does_not() -> None:
    gaps, clock = _gaps(recheck=2.0)
    ran_at: list[float] = []

    async def hook() -> None:
        ran_at.append(clock.monotonic())

    gaps.add(hook)
    gaps.open("reconnected")
    await eventually(lambda: not gaps.pending)
    assert len(ran_at) == 1
    gaps.open("malformed frame", late=True)
    await eventually(lambda: not gaps.pending)
    assert len(ran_at) == 3 and ran_at[2] - ran_at[1] >= 2.0


async def test_every_hook_runs_in_order_and_close_stops_a_retrying_one() -> None:
    gaps, _ = _gaps(recheck=None)
    order: list[str] = []

    async def fills() -> None:
        order.append("fills")

    async def orders() -> None:
        order.append("orders")
        raise NetworkError("down for good")

    gaps.add(fills)
    gaps.add(orders)
    gaps.open("reconnected")
    await eventually(lambda: gaps.failures >= 3)
    assert order[:2] == ["fills", "orders"] and gaps.pending
    await gaps.close()
    assert not gaps.pending


async def test_a_hook_with_a_bug_is_skipped_and_does_not_block_the_others() -> None:
    gaps, _ = _gaps(recheck=None)
    ran: list[str] = []

    async def broken() -> None:
        ran.append("broken")
        raise TypeError("a bug, not the venue")

    async def fills() -> None:
        ran.append("fills")

    gaps.add(broken)
    gaps.add(fills)
    gaps.open("reconnected")
    await eventually(lambda: not gaps.pending)
    assert ran == ["broken", "fills"] and gaps.failures == 1
