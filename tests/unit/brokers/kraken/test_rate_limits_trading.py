"""KrakenRateLimits' per-pair trading counter: every penalty row, ageing, batches, open orders."""

from __future__ import annotations

import pytest

from src.brokers.kraken.limits.counters import KrakenRateLimits, TierLimits, trading_cost
from src.core.clock import ManualClock
from src.core.errors import LocalRateLimitError, OrdersLimitError

PAIR = "XBTUSD"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def gate(clock: ManualClock, tier: str = "starter", mode: str = "wait") -> KrakenRateLimits:
    """A gate that waits exactly to the limit (no safety margin), so waits are exact."""
    return KrakenRateLimits(tier=tier, mode=mode, clock=clock, safety_margin=0.0)


@pytest.mark.parametrize(
    ("age", "penalty"),
    [
        (None, 8),
        (0.0, 8),
        (4.99, 8),
        (5.0, 6),
        (9.99, 6),
        (10.0, 5),
        (14.99, 5),
        (15.0, 4),
        (44.99, 4),
        (45.0, 2),
        (89.99, 2),
        (90.0, 1),
        (299.99, 1),
        (300.0, 0),
        (3600.0, 0),
    ],
)
async def test_each_cancel_age_row(clock: ManualClock, age: float | None, penalty: float) -> None:
    limits = gate(clock)
    await limits.before_trade(PAIR, "cancel", order_age=age)
    assert limits.trading_counter(PAIR).value == pytest.approx(penalty)


@pytest.mark.parametrize(
    ("action", "age", "cost"),
    [
        ("add", None, 1),
        ("amend", 0.0, 4),
        ("amend", 5.0, 3),
        ("amend", 10.0, 2),
        ("amend", 15.0, 1),
        ("amend", 299.0, 1),
        ("edit", 0.0, 7),
        ("edit", 5.0, 6),
        ("edit", 10.0, 5),
        ("edit", 15.0, 3),
        ("edit", 45.0, 2),
        ("edit", 90.0, 1),
        ("edit", 300.0, 1),
    ],
)
async def test_add_amend_and_edit_rows(
    clock: ManualClock, action: str, age: float | None, cost: float
) -> None:
    limits = gate(clock)
    await limits.before_trade(PAIR, action, order_age=age)
    assert limits.trading_counter(PAIR).value == pytest.approx(cost)


@pytest.mark.parametrize(
    ("action", "age", "count", "cost"),
    [
        ("batch_add", None, 1, 0.5),
        ("batch_add", None, 15, 7.5),
        ("batch_cancel", 0.0, 3, 24),
        ("batch_cancel", 7.0, 3, 18),
        ("batch_cancel", 100.0, 10, 10),
        ("batch_cancel", 400.0, 10, 0),
    ],
)
async def test_batch_rows(
    clock: ManualClock, action: str, age: float | None, count: int, cost: float
) -> None:
    limits = gate(clock)
    await limits.before_trade(PAIR, action, order_age=age, count=count)
    assert limits.trading_counter(PAIR).value == pytest.approx(cost)


def test_docs_worked_example_add_amend_cancel_totals_eight() -> None:
    costs = [trading_cost("add"), trading_cost("amend", 7.0), trading_cost("cancel", 36.0)]
    assert costs == [1, 3, 4]
    assert sum(costs) == 8


async def test_docs_worked_example_intermediate_burst_decays_to_26_6(clock: ManualClock) -> None:
    limits = gate(clock, "intermediate")
    for _ in range(50):
        await limits.before_trade(PAIR, "add")
    assert clock.monotonic() == 0.0
    clock.advance(10)
    assert limits.trading_counter(PAIR).value == pytest.approx(26.6)


async def test_trading_counter_waits_or_refuses_at_the_threshold(clock: ManualClock) -> None:
    waiting = gate(clock)
    for _ in range(60):
        await waiting.before_trade(PAIR, "add")
    await waiting.before_trade(PAIR, "add")
    assert clock.monotonic() == pytest.approx(1.0)
    await waiting.before_trade(PAIR, "cancel", order_age=1.0)
    # Cheapest way out: the order reaches 5 s old at t=5 (+6 instead of +8), and the
    # counter has room for 6 at t=7.
    assert clock.monotonic() == pytest.approx(7.0)
    assert waiting.trading_counter(PAIR).value == pytest.approx(60)

    refusing = gate(ManualClock(), mode="refuse")
    for _ in range(55):
        await refusing.before_trade(PAIR, "add")
    with pytest.raises(LocalRateLimitError, match="trading counter") as caught:
        await refusing.before_trade(PAIR, "cancel", order_age=0.0)
    assert caught.value.retry_after == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("start_value", "age", "expected_wait", "charged"),
    [
        (59, 0.0, 5.0, 6),  # waits into the 5-10 s row: at t=5, 54 + 6 = 60
        (52, 0.0, 0.0, 8),  # fits now at full price: no point waiting for a cheaper row
        (60, 44.0, 2.0, 2),  # 45 s old after 1 s (+2 instead of +4); room for 2 after 2 s
        (60, 299.0, 1.0, 0),  # at 300 s a cancel is free; 1 s of decay frees nothing more
    ],
)
async def test_a_waiting_cancel_pays_the_row_its_order_has_aged_into(
    clock: ManualClock, start_value: float, age: float, expected_wait: float, charged: float
) -> None:
    limits = gate(clock)
    limits.trading_counter(PAIR).add(start_value)
    await limits.before_trade(PAIR, "cancel", order_age=age)
    assert clock.monotonic() == pytest.approx(expected_wait)
    value = start_value - expected_wait + charged
    assert limits.trading_counter(PAIR).value == pytest.approx(value)


async def test_refusal_retry_after_accounts_for_ageing(clock: ManualClock) -> None:
    limits = gate(clock, mode="refuse")
    limits.trading_counter(PAIR).add(60)
    with pytest.raises(LocalRateLimitError) as caught:
        await limits.before_trade(PAIR, "amend", order_age=4.0)
    # Now: +4, room in 4 s. At 5 s old (in 1 s): +3, room in 3 s. At 10 s old (in 6 s): +2.
    # The earliest of these is 3 s.
    assert caught.value.retry_after == pytest.approx(3.0)


async def test_pairs_have_independent_trading_counters(clock: ManualClock) -> None:
    limits = gate(clock, mode="refuse")
    for _ in range(60):
        await limits.before_trade(PAIR, "add")
    await limits.before_trade("ETHUSD", "add")
    assert limits.trading_counter("ETHUSD").value == pytest.approx(1)
    assert limits.rest_counter.value == 0


async def test_batch_cancel_is_accepted_when_it_pushes_the_counter_over(clock: ManualClock) -> None:
    limits = gate(clock, mode="refuse")
    for _ in range(55):
        await limits.before_trade(PAIR, "add")
    await limits.before_trade(PAIR, "batch_cancel", order_age=0.0, count=3)
    assert limits.trading_counter(PAIR).value == pytest.approx(79)
    with pytest.raises(LocalRateLimitError) as caught:
        await limits.before_trade(PAIR, "batch_cancel", order_age=0.0, count=1)
    assert caught.value.retry_after == pytest.approx(19.0)
    with pytest.raises(LocalRateLimitError) as caught:
        await limits.before_trade(PAIR, "add")
    assert caught.value.retry_after == pytest.approx(20.0)


async def test_open_order_limit_per_pair(clock: ManualClock) -> None:
    limits = KrakenRateLimits(
        clock=clock, limits=TierLimits(15, 0.33, 1000, 1.0, max_open_orders=60)
    )
    for i in range(60):
        await limits.before_trade(PAIR, "add", open_orders=i)
    with pytest.raises(OrdersLimitError, match="60 per pair"):
        await limits.before_trade(PAIR, "add", open_orders=60)
    await limits.before_trade(PAIR, "cancel", open_orders=60)  # only adds are limited
    await limits.before_trade(PAIR, "add", open_orders=59)
    with pytest.raises(OrdersLimitError):
        await limits.before_trade(PAIR, "batch_add", count=2, open_orders=59)
