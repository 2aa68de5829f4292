"""Benchmark: the project's rate limiters against aiolimiter on the same admissions, same run.

Prints, for AdaptiveRateLimiter and aiolimiter.AsyncLimiter at the same rate:
  * overhead per uncontended ``async with`` (microseconds) and the ratio between them;
  * achieved/allowed throughput of a burst that must wait (real clock), and the most entries
    either let into any one window (the sliding-window guarantee vs a leaky bucket);
and for KrakenRateLimits, achieved/allowed throughput of 1,000 mixed private calls and 500
add/cancel pairs against the tier's own counters (simulated clock, and real clock on a scaled tier).

Run: ``.venv/bin/python benchmarks/bench_rate_limiter.py`` (about 30 s on 2 cores).
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from aiolimiter import AsyncLimiter
from tqdm import tqdm

from src.brokers.kraken.limits.counters import TIERS, KrakenRateLimits, TierLimits, trading_cost
from src.core.clock import ManualClock
from src.utils.rate_limiter import AdaptiveRateLimiter

UNCONTENDED_CALLS = 50_000
BURST_RATE, BURST_WINDOW, BURST_SIZE = 50, 0.1, 1_000
SCALE = 200  # real-clock Kraken run: every decay rate x200, so it takes ~22 s, not an hour
MIXED_METHODS = ("Balance", "OpenOrders", "QueryOrders", "TradeBalance", "TradesHistory")


async def overhead_us(make: Callable[[], AbstractAsyncContextManager[object]]) -> float:
    """Mean microseconds per ``async with`` when the limit never makes anyone wait."""
    limiter = make()
    start = time.perf_counter()
    for _ in range(UNCONTENDED_CALLS):
        async with limiter:
            pass
    return (time.perf_counter() - start) / UNCONTENDED_CALLS * 1e6


async def burst(limiter: AbstractAsyncContextManager[object]) -> list[float]:
    """Admission times of BURST_SIZE concurrent entries."""
    times: list[float] = []

    async def one() -> None:
        async with limiter:
            times.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(BURST_SIZE)))
    return times


def max_in_window(times: list[float], window: float) -> int:
    """Most admissions in any half-open interval of length ``window``."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


def burst_ratio(times: list[float]) -> float:
    """Ideal duration of the burst at the nominal rate over its achieved duration."""
    # Both a sliding window and a leaky bucket of capacity N allow N at once, then N per window.
    ideal = BURST_WINDOW * (BURST_SIZE / BURST_RATE - 1)
    return ideal / (max(times) - min(times))


async def kraken_workload(limits: KrakenRateLimits, now: Callable[[], float]) -> float:
    """1,000 private reads and 500 add/cancel pairs (order age not given: each cancel is +8).

    REST reads and order calls run as two concurrent streams, as a bot would issue them.
    Returns achieved/allowed: the time the counters need for this work over the time taken.
    """
    start = now()

    async def reads() -> None:
        for i in range(1_000):
            await limits.before_rest(MIXED_METHODS[i % len(MIXED_METHODS)])

    async def orders() -> None:
        for _ in range(500):
            await limits.before_trade("XBTUSD", "add")
            await limits.before_trade("XBTUSD", "cancel")

    await asyncio.gather(reads(), orders())
    elapsed = now() - start
    tier = limits.limits
    rest_cost = sum(limits.rest_cost(MIXED_METHODS[i % len(MIXED_METHODS)]) for i in range(1_000))
    rest_need = (rest_cost - tier.rest_max) / tier.rest_decay
    trade_cost = 500 * (trading_cost("add") + trading_cost("cancel"))
    trade_need = (trade_cost - tier.trade_threshold) / tier.trade_decay
    return max(rest_need, trade_need) / elapsed


async def kraken_simulated() -> float:
    """The workload on the starter tier with a simulated clock (one stream, so time is exact)."""
    clock = ManualClock()
    limits = KrakenRateLimits("starter", clock=clock)
    start = clock.monotonic()
    for i in range(1_000):
        await limits.before_rest(MIXED_METHODS[i % len(MIXED_METHODS)])
    cost = sum(limits.rest_cost(MIXED_METHODS[i % len(MIXED_METHODS)]) for i in range(1_000))
    tier = TIERS["starter"]
    return (cost - tier.rest_max) / tier.rest_decay / (clock.monotonic() - start)


async def main() -> None:
    """Run every measurement and print one table."""
    steps = tqdm(total=6, desc="bench", unit="step")
    ours_us = await overhead_us(lambda: AdaptiveRateLimiter(10**9, 1e6))
    steps.update()
    peer_us = await overhead_us(lambda: AsyncLimiter(10**9, 1e6))
    steps.update()
    ours_times = await burst(AdaptiveRateLimiter(BURST_RATE, BURST_WINDOW))
    steps.update()
    peer_times = await burst(AsyncLimiter(BURST_RATE, BURST_WINDOW))
    steps.update()
    simulated = await kraken_simulated()
    steps.update()
    # Starter's shape (same maxima and costs) with every decay rate multiplied by SCALE.
    starter = TIERS["starter"]
    scaled = TierLimits(
        starter.rest_max,
        starter.rest_decay * SCALE,
        starter.trade_threshold,
        starter.trade_decay * SCALE,
        starter.max_open_orders,
    )
    real = await kraken_workload(KrakenRateLimits("starter", limits=scaled), time.monotonic)
    steps.update()
    steps.close()

    print(f"\noverhead per uncontended `async with` ({UNCONTENDED_CALLS:,} calls)")
    print(f"  AdaptiveRateLimiter : {ours_us:7.2f} us")
    print(f"  aiolimiter          : {peer_us:7.2f} us")
    print(f"  ratio ours/aiolimiter: {ours_us / peer_us:.2f}")
    print(f"\nburst of {BURST_SIZE:,} at {BURST_RATE} per {BURST_WINDOW} s (real clock)")
    for name, times in (("AdaptiveRateLimiter", ours_times), ("aiolimiter", peer_times)):
        print(
            f"  {name:<20}: achieved/allowed {burst_ratio(times):.3f}, most in one window "
            f"{max_in_window(times, BURST_WINDOW)} (limit {BURST_RATE})"
        )
    print(
        f"  ratio of achieved/allowed ours/aiolimiter: "
        f"{burst_ratio(ours_times) / burst_ratio(peer_times):.3f}"
    )
    print("\nKrakenRateLimits achieved/allowed")
    rows = (
        ("starter, 1,000 private calls, simulated clock", simulated),
        (f"starter x{SCALE}, 1,000 calls + 500 add/cancel, real clock", real),
    )
    for label, ratio in rows:
        print(f"  {label:<55}: {ratio:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
