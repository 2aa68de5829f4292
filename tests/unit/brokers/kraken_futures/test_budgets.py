"""Kraken Futures' rate-limit budgets, kept locally: costs, waiting, refusing, venue saturation."""

from __future__ import annotations

import pytest

from src.brokers.kraken_futures.limits.budgets import FuturesRateLimits
from src.brokers.kraken_futures.rate_costs import derivatives_cost, history_cost
from src.core.clock import ManualClock
from src.core.errors import ConfigurationError, LocalRateLimitError, RestRateLimitError


@pytest.mark.parametrize(
    ("name", "params", "cost"),
    [
        ("sendorder", {}, 10), ("editorder", {}, 10), ("cancelorder", {}, 10),
        ("accounts", {}, 2), ("openpositions", {}, 2), ("openorders", {}, 2),
        ("fills", {}, 2), ("fills", {"lastFillTime": "2024-01-01T00:00:00Z"}, 25),
        ("cancelallorders", {}, 25), ("cancelallordersafter", {}, 25),
        ("orders/status", {}, 1), ("batchorder", {"_instructions": 10}, 19),
        ("leveragepreferences", {}, 2), ("set_leveragepreferences", {}, 10),
    ],
)  # fmt: skip
def test_costs_from_the_rate_limit_guide(name: str, params: dict[str, object], cost: int) -> None:
    assert derivatives_cost(name, params) == cost


@pytest.mark.parametrize(("count", "cost"), [(None, 3), (25, 1), (50, 2), (1000, 3), (5000, 6),
                                              (100000, 10)])  # fmt: skip
def test_account_log_costs_by_count(count: int | None, cost: int) -> None:
    assert history_cost("account-log", count) == cost


async def test_wait_mode_sleeps_exactly_until_the_budget_allows() -> None:
    clock = ManualClock()
    gate = FuturesRateLimits("wait", clock)
    for _ in range(50):  # 50 orders x 10 = the whole 500
        await gate.before("derivatives", 10, "sendorder")
    assert clock.monotonic() == 0
    await gate.before("derivatives", 10, "sendorder")  # needs 10 points: 0.2 s at 50/s
    assert clock.monotonic() == pytest.approx(0.2)


async def test_refuse_mode_says_how_long_to_wait() -> None:
    gate = FuturesRateLimits("refuse", ManualClock())
    for _ in range(20):
        await gate.before("derivatives", 25, "cancelallorders")
    with pytest.raises(LocalRateLimitError) as caught:
        await gate.before("derivatives", 25, "cancelallorders")
    assert caught.value.retry_after == pytest.approx(0.5)


async def test_history_pool_is_separate_and_slow() -> None:
    clock = ManualClock()
    gate = FuturesRateLimits("wait", clock)
    for _ in range(100):
        await gate.before("history", 1, "account-log")
    await gate.before("derivatives", 10, "sendorder")  # unaffected
    assert clock.monotonic() == 0
    await gate.before("history", 1, "account-log")  # 100 per 600 s: 6 s for one token
    assert clock.monotonic() == pytest.approx(6.0)


async def test_venue_limit_fills_the_bucket() -> None:
    clock = ManualClock()
    gate = FuturesRateLimits("wait", clock)
    gate.on_rate_limited("derivatives", RestRateLimitError("apiLimitExceeded"))
    await gate.before("derivatives", 2, "accounts")
    assert clock.monotonic() == pytest.approx(0.04)


async def test_public_calls_cost_nothing_and_bad_mode_is_refused() -> None:
    clock = ManualClock()
    gate = FuturesRateLimits("wait", clock)
    await gate.before("public", 100, "tickers")
    assert clock.monotonic() == 0
    with pytest.raises(ConfigurationError):
        FuturesRateLimits("sometimes")
