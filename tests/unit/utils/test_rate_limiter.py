"""AdaptiveRateLimiter and MultiEndpointRateLimiter on a manual clock (nothing really sleeps)."""

from __future__ import annotations

import asyncio
import bisect

import pytest

from src.core.clock import ManualClock
from src.core.errors import BrokerError, LocalRateLimitError, RestRateLimitError
from src.utils.rate_limiter import (
    DEFAULT_ENDPOINT_LIMIT,
    AdaptiveRateLimiter,
    MultiEndpointRateLimiter,
)


class CountingClock(ManualClock):
    """A manual clock that also counts how often anything slept on it."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps = 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        await super().sleep(seconds)


@pytest.fixture
def clock() -> CountingClock:
    return CountingClock()


def max_in_any_window(times: list[float], window: float) -> int:
    """The largest number of entries in any half-open interval [t, t + window)."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + window - 1e-9) - i for i, t in enumerate(ordered))


async def enter_all(limiter: AdaptiveRateLimiter, clock: ManualClock, n: int) -> list[float]:
    """Start n tasks in order; each records the clock when admitted."""
    times: list[float] = []

    async def one() -> None:
        async with limiter:
            times.append(clock.monotonic())

    await asyncio.gather(*(one() for _ in range(n)))
    return times


async def test_guide_example_admits_at_most_max_requests_per_window(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    times = await enter_all(limiter, clock, 100)
    assert len(times) == 100
    assert max_in_any_window(times, 1.0) == 15
    # Full use of the allowance: 15 at t=0, 15 at t=1, ..., the last 10 at t=6.
    assert [times.count(float(s)) for s in range(7)] == [15, 15, 15, 15, 15, 15, 10]


async def test_window_slides_rather_than_resetting_on_boundaries(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    for _ in range(5):
        await limiter.acquire()
    clock.advance(0.5)
    for _ in range(10):
        await limiter.acquire()
    assert limiter.wait_time() == pytest.approx(0.5)
    times = await enter_all(limiter, clock, 6)
    # The 5 entries from t=0 expire at t=1.0; the 10 from t=0.5 only at t=1.5.
    assert times == pytest.approx([1.0] * 5 + [1.5])


async def test_three_hundred_waiters_are_admitted_first_come_first_served(
    clock: CountingClock,
) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    order: list[int] = []

    async def one(i: int) -> None:
        async with limiter:
            order.append(i)

    tasks = [asyncio.create_task(one(i)) for i in range(300)]
    await asyncio.gather(*tasks)
    assert order == list(range(300))
    # No polling: only the head of the queue sleeps, once per window (20 windows, 19 waits).
    assert clock.sleeps == 19
    assert clock.monotonic() == pytest.approx(19.0)


async def test_a_cancelled_waiter_does_not_stall_the_queue(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=2, time_window=1.0, clock=clock)
    await limiter.acquire()
    await limiter.acquire()
    order: list[int] = []

    async def one(i: int) -> None:
        async with limiter:
            order.append(i)

    tasks = [asyncio.create_task(one(i)) for i in range(5)]
    await asyncio.sleep(0)  # all five are queued now
    assert limiter.waiting == 5
    tasks[0].cancel()
    tasks[2].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert order == [1, 3, 4]
    assert limiter.waiting == 0


async def test_report_rate_limited_halves_the_rate_down_to_the_floor(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    rates = []
    for _ in range(5):
        limiter.report_rate_limited()
        rates.append(limiter.current_rate)
    assert rates == [7, 3, 1, 1, 1]


async def test_a_lower_rate_is_enforced_at_once(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    limiter.report_rate_limited()
    times = await enter_all(limiter, clock, 21)
    # 7 in the window of the cut; one step of recovery per window after that.
    assert [times.count(float(s)) for s in range(3)] == [7, 8, 6]
    assert max_in_any_window(times, 1.0) == 8


async def test_retry_after_blocks_every_admission_until_it_passes(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    limiter.report_rate_limited(retry_after=5.0)
    times = await enter_all(limiter, clock, 3)
    assert times == pytest.approx([5.0, 5.0, 5.0])


async def test_rate_limit_error_in_the_body_reports_automatically(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=10, time_window=1.0, clock=clock)
    with pytest.raises(RestRateLimitError):
        async with limiter:
            raise RestRateLimitError("EAPI:Rate limit exceeded", retry_after=2.0)
    assert limiter.current_rate == 5
    async with limiter:
        assert clock.monotonic() == pytest.approx(2.0)


async def test_local_refusal_in_the_body_only_waits_its_retry_after(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=10, time_window=1.0, clock=clock)
    with pytest.raises(LocalRateLimitError):
        async with limiter:
            raise LocalRateLimitError("refused locally", retry_after=3.0)
    assert limiter.current_rate == 10
    async with limiter:
        assert clock.monotonic() == pytest.approx(3.0)


async def test_other_errors_neither_lower_nor_recover_the_rate(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=4, time_window=1.0, clock=clock)
    limiter.report_rate_limited()
    assert limiter.current_rate == 2
    for _ in range(5):
        with pytest.raises(BrokerError):
            async with limiter:
                raise BrokerError("EOrder:Insufficient funds")
    assert limiter.current_rate == 2


async def test_rate_recovers_one_step_per_window_of_successes(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    limiter.report_rate_limited()
    assert limiter.current_rate == 7
    changes: list[tuple[float, int]] = []
    while limiter.current_rate < 15:
        before = limiter.current_rate
        async with limiter:
            pass
        if limiter.current_rate != before:
            changes.append((clock.monotonic(), limiter.current_rate))
    assert changes == [(float(t), 7 + t) for t in range(1, 9)]
    for _ in range(50):
        async with limiter:
            pass
    assert limiter.current_rate == 15


async def test_no_recovery_without_enough_successes(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(max_requests=15, time_window=1.0, clock=clock)
    limiter.report_rate_limited()
    for _ in range(6):
        async with limiter:
            pass
    clock.advance(60)
    assert limiter.current_rate == 7
    async with limiter:
        pass
    assert limiter.current_rate == 8


async def test_recovery_successes_is_configurable(clock: CountingClock) -> None:
    limiter = AdaptiveRateLimiter(10, 1.0, clock=clock, recovery_successes=3)
    limiter.report_rate_limited()
    clock.advance(1.0)
    for _ in range(3):
        async with limiter:
            pass
    assert limiter.current_rate == 6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_requests": 0},
        {"time_window": 0.0},
        {"min_requests": 0},
        {"min_requests": 16},
        {"decrease_factor": 1.0},
        {"recovery_successes": 0},
    ],
)
def test_invalid_parameters_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        AdaptiveRateLimiter(**kwargs)  # type: ignore[arg-type]


async def test_guide_multi_endpoint_example_limits_each_path_separately(
    clock: CountingClock,
) -> None:
    limiter = MultiEndpointRateLimiter(
        {
            "/0/private/AddOrder": (15, 1.0),
            "/0/private/Balance": (10, 1.0),
            "/0/public/Ticker": (1, 1.0),
        },
        clock=clock,
    )
    seen: dict[str, list[float]] = {}

    async def call(path: str) -> None:
        async with limiter.limit(path):
            seen.setdefault(path, []).append(clock.monotonic())

    paths = ["/0/private/AddOrder"] * 30 + ["/0/private/Balance"] * 20 + ["/0/public/Ticker"] * 2
    await asyncio.gather(*(call(p) for p in paths))
    assert max_in_any_window(seen["/0/private/AddOrder"], 1.0) == 15
    assert max_in_any_window(seen["/0/private/Balance"], 1.0) == 10
    assert max_in_any_window(seen["/0/public/Ticker"], 1.0) == 1
    assert limiter.limiter_for("/0/private/AddOrder").max_requests == 15


async def test_unlisted_paths_each_get_the_default_limit(clock: CountingClock) -> None:
    limiter = MultiEndpointRateLimiter({}, clock=clock)
    one = limiter.limiter_for("/0/private/Ledgers")
    other = limiter.limiter_for("/0/private/OpenOrders")
    assert one is not other
    assert (one.max_requests, one.time_window) == DEFAULT_ENDPOINT_LIMIT
    custom = MultiEndpointRateLimiter(default=(3, 2.0), clock=clock)
    assert custom.limiter_for("/x").max_requests == 3
    assert custom.limiter_for("/x").time_window == 2.0


async def test_global_limit_caps_all_paths_together(clock: CountingClock) -> None:
    limiter = MultiEndpointRateLimiter(
        {"/a": (10, 1.0), "/b": (10, 1.0)}, global_limit=(12, 1.0), clock=clock
    )
    times: list[float] = []

    async def call(path: str) -> None:
        async with limiter.limit(path):
            times.append(clock.monotonic())

    await asyncio.gather(*(call(p) for p in ["/a", "/b"] * 12))
    assert max_in_any_window(times, 1.0) == 12
    assert times.count(0.0) == 12


async def test_rejection_lowers_that_path_and_the_global_rate_only(clock: CountingClock) -> None:
    limiter = MultiEndpointRateLimiter(
        {"/a": (10, 1.0), "/b": (10, 1.0)}, global_limit=(20, 1.0), clock=clock
    )
    with pytest.raises(RestRateLimitError):
        async with limiter.limit("/a"):
            raise RestRateLimitError("EAPI:Rate limit exceeded")
    assert limiter.limiter_for("/a").current_rate == 5
    assert limiter.limiter_for("/b").current_rate == 10
    assert limiter.global_limiter is not None
    assert limiter.global_limiter.current_rate == 10
    limiter.report_rate_limited("/b", retry_after=1.0)
    assert limiter.limiter_for("/b").current_rate == 5
    assert limiter.limiter_for("/b").wait_time() == pytest.approx(1.0)
