"""KrakenRateLimits: REST and per-pair trading counters, wait and refuse modes (manual clock)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from src.brokers.kraken.gate import RequestGate
from src.brokers.kraken.rate_limits import (
    TIERS,
    KrakenRateLimits,
    KrakenRateLimitSettings,
    TierLimits,
    trading_cost,
)
from src.core.clock import ManualClock
from src.core.errors import (
    ConfigurationError,
    LocalRateLimitError,
    OrdersLimitError,
    RateLimitError,
    RestRateLimitError,
    TradingRateLimitError,
)
from src.utils.decaying_counter import DecayingCounter

PAIR = "XBTUSD"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def gate(clock: ManualClock, tier: str = "starter", mode: str = "wait") -> KrakenRateLimits:
    """A gate that waits exactly to the limit (no safety margin), so waits are exact."""
    return KrakenRateLimits(tier=tier, mode=mode, clock=clock, safety_margin=0.0)


def test_tier_table_matches_krakens_docs() -> None:
    assert TIERS["starter"] == TierLimits(15, 0.33, 60, 1.0, 60)
    assert TIERS["intermediate"] == TierLimits(20, 0.5, 125, 2.34, 80)
    assert TIERS["pro"] == TierLimits(20, 1.0, 180, 3.75, 225)


def test_gate_satisfies_the_adapters_protocol(clock: ManualClock) -> None:
    assert isinstance(gate(clock), RequestGate)


@pytest.mark.parametrize(
    ("method", "cost"),
    [
        ("Balance", 1),
        ("OpenOrders", 1),
        ("QueryOrders", 1),
        ("CancelAll", 1),
        ("Ledgers", 2),
        ("TradesHistory", 2),
        ("QueryLedgers", 2),
        ("AddOrder", 0),
        ("CancelOrder", 0),
        ("AddOrderBatch", 0),
        ("CancelOrderBatch", 0),
        ("EditOrder", 0),
        ("AmendOrder", 0),
        ("Ticker", 0),
        ("AssetPairs", 0),
        ("Time", 0),
    ],
)
async def test_each_rest_call_adds_its_cost(clock: ManualClock, method: str, cost: float) -> None:
    limits = gate(clock)
    await limits.before_rest(method)
    assert limits.rest_counter.value == pytest.approx(cost)


async def test_history_cost_is_configurable(clock: ManualClock) -> None:
    limits = KrakenRateLimits(clock=clock, costs={"Ledgers": 4, "Balance": 0.5})
    await limits.before_rest("Ledgers")
    await limits.before_rest("Balance")
    assert limits.rest_counter.value == pytest.approx(4.5)


@pytest.mark.parametrize(
    ("tier", "maximum", "decay"), [("starter", 15, 0.33), ("intermediate", 20, 0.5), ("pro", 20, 1)]
)
async def test_wait_mode_sleeps_exactly_until_the_rest_counter_decays(
    clock: ManualClock, tier: str, maximum: int, decay: float
) -> None:
    limits = gate(clock, tier)
    for _ in range(maximum):
        await limits.before_rest("Balance")
    assert clock.monotonic() == 0.0
    await limits.before_rest("Balance")
    assert clock.monotonic() == pytest.approx(1 / decay)
    await limits.before_rest("TradesHistory")
    assert clock.monotonic() == pytest.approx(3 / decay)


async def test_refuse_mode_says_how_long_to_wait(clock: ManualClock) -> None:
    limits = gate(clock, mode="refuse")
    for _ in range(14):
        await limits.before_rest("Balance")
    with pytest.raises(LocalRateLimitError, match=r"retry in 3\.03 s") as caught:
        await limits.before_rest("Ledgers")
    assert caught.value.retry_after == pytest.approx(1 / 0.33)
    assert limits.rest_counter.value == pytest.approx(14)  # a refused call costs nothing
    clock.advance(1 / 0.33)
    await limits.before_rest("Ledgers")
    assert limits.rest_counter.value == pytest.approx(15)


async def test_safety_margin_trims_the_first_burst_but_not_the_steady_rate(
    clock: ManualClock,
) -> None:
    limits = KrakenRateLimits("starter", clock=clock)  # default margin: 0.1 s of decay
    sent = []
    for _ in range(18):
        await limits.before_rest("Balance")
        sent.append(clock.monotonic())
    assert sent[:14] == [0.0] * 14
    assert sent[14] == pytest.approx(0.1)
    gaps = [b - a for a, b in itertools.pairwise(sent[14:])]
    assert gaps == pytest.approx([1 / 0.33] * 3)
    assert limits.rest_counter.value == pytest.approx(15 - 0.1 * 0.33)


async def test_concurrent_waiters_never_overrun_the_counter(clock: ManualClock) -> None:
    limits = gate(clock)
    sent: list[tuple[int, float]] = []

    async def call(i: int) -> None:
        await limits.before_rest("Balance")
        sent.append((i, clock.monotonic()))

    await asyncio.gather(*(call(i) for i in range(25)))
    assert [i for i, _ in sent] == list(range(25))
    # Replay the send times into Kraken's counter model: every call fits, none waited extra.
    server_clock = ManualClock()
    server = DecayingCounter(15, 0.33, server_clock)
    for _, at in sent:
        server_clock.advance(at - server_clock.monotonic())
        assert server.cost_wait(1) == 0.0
        server.add(1)
    assert sent[-1][1] == pytest.approx(10 / 0.33)


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
        await limits.before_trade(PAIR, "add")
        limits.on_order_opened(PAIR, f"O{i}")
    assert limits.open_orders(PAIR) == 60
    with pytest.raises(OrdersLimitError, match="60 per pair"):
        await limits.before_trade(PAIR, "add")
    await limits.before_trade("ETHUSD", "add")  # other pairs are not affected
    limits.on_order_closed(PAIR, "O0")
    limits.on_order_closed(PAIR, "unknown")
    await limits.before_trade(PAIR, "add")
    with pytest.raises(OrdersLimitError):
        await limits.before_trade(PAIR, "batch_add", count=2)


@pytest.mark.parametrize(
    "error",
    [
        RestRateLimitError("rate limited", raw="EAPI:Rate limit exceeded"),
        RateLimitError("rate limited", raw="EAPI:Rate limit exceeded"),
    ],
)
async def test_rest_rejection_saturates_the_rest_counter(
    clock: ManualClock, error: RateLimitError
) -> None:
    limits = gate(clock)
    await limits.before_rest("Balance")
    limits.on_rate_limited(error)
    assert limits.rest_counter.value == pytest.approx(15)
    assert limits.trading_counter(PAIR).value == 0
    await limits.before_rest("Balance")
    assert clock.monotonic() == pytest.approx(1 / 0.33)


async def test_trading_rejection_saturates_only_that_pairs_counter(clock: ManualClock) -> None:
    limits = gate(clock)
    await limits.before_trade("ETHUSD", "add")
    limits.on_rate_limited(
        TradingRateLimitError("rate limited", raw="EOrder:Rate limit exceeded"), pair=PAIR
    )
    assert limits.trading_counter(PAIR).value == pytest.approx(60)
    assert limits.trading_counter("ETHUSD").value == pytest.approx(1)
    assert limits.rest_counter.value == 0
    await limits.before_trade(PAIR, "add")
    assert clock.monotonic() == pytest.approx(1.0)


async def test_trading_rejection_without_a_pair_saturates_every_known_pair(
    clock: ManualClock,
) -> None:
    limits = gate(clock)
    await limits.before_trade(PAIR, "add")
    await limits.before_trade("ETHUSD", "add")
    limits.on_rate_limited(RateLimitError("rate limited", raw="EOrder:Rate limit exceeded"))
    assert limits.trading_counter(PAIR).value == pytest.approx(60)
    assert limits.trading_counter("ETHUSD").value == pytest.approx(60)


async def test_throttled_retry_after_holds_back_every_call(clock: ManualClock) -> None:
    limits = gate(clock, mode="refuse")
    await limits.before_trade(PAIR, "add")
    limits.on_rate_limited(
        RateLimitError("throttled", raw="EService:Throttled:1700000010", retry_after=10.0)
    )
    with pytest.raises(LocalRateLimitError) as rest:
        await limits.before_rest("Balance")
    assert rest.value.retry_after == pytest.approx(10.0)
    with pytest.raises(LocalRateLimitError) as trade:
        await limits.before_trade(PAIR, "add")
    assert trade.value.retry_after == pytest.approx(10.0)
    clock.advance(10.0)
    await limits.before_rest("Balance")
    await limits.before_trade(PAIR, "add")


async def test_retry_after_longer_than_the_decay_is_honoured_in_wait_mode(
    clock: ManualClock,
) -> None:
    limits = gate(clock)
    limits.on_rate_limited(TradingRateLimitError("slow down", retry_after=30.0), pair=PAIR)
    await limits.before_trade(PAIR, "add")
    assert clock.monotonic() == pytest.approx(30.0)


async def test_own_local_refusals_are_not_venue_rejections(clock: ManualClock) -> None:
    limits = gate(clock)
    limits.on_rate_limited(LocalRateLimitError("refused locally", retry_after=99.0))
    assert limits.rest_counter.value == 0
    await limits.before_rest("Balance")
    assert clock.monotonic() == 0.0


async def test_cancelled_waiter_leaves_nothing_on_the_counter(clock: ManualClock) -> None:
    limits = gate(clock)
    limits.on_rate_limited(RestRateLimitError("rate limited"))
    task = asyncio.create_task(limits.before_rest("Ledgers"))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Nothing was added for the call that never went out: only decay since saturation.
    assert limits.rest_counter.value == pytest.approx(15 - 0.33 * clock.monotonic())


def test_unknown_action_tier_or_mode_is_a_clear_error(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="unknown trading action 'close'"):
        trading_cost("close")
    with pytest.raises(ValueError, match="negative"):
        trading_cost("cancel", -1.0)
    with pytest.raises(ConfigurationError, match="unknown Kraken tier 'gold'"):
        KrakenRateLimits(tier="gold")
    with pytest.raises(ConfigurationError, match="'wait' or 'refuse'"):
        KrakenRateLimits(mode="block")
    with pytest.raises(ConfigurationError, match="negative"):
        KrakenRateLimits(costs={"Ledgers": -1})
    with pytest.raises(ConfigurationError, match="safety_margin"):
        KrakenRateLimits(safety_margin=-0.1)


def test_from_env_defaults_to_starter_and_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KRAKEN_TIER",
        "KRAKEN_RATE_LIMIT_MODE",
        "KRAKEN_HISTORY_CALL_COST",
        "KRAKEN_RATE_LIMIT_MARGIN",
    ):
        monkeypatch.delenv(name, raising=False)
    limits = KrakenRateLimits.from_env()
    assert (limits.tier, limits.mode, limits.limits) == ("starter", "wait", TIERS["starter"])
    assert limits.rest_cost("Ledgers") == 2


def test_from_env_reads_tier_mode_and_history_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_TIER", "Intermediate")
    monkeypatch.setenv("KRAKEN_RATE_LIMIT_MODE", "refuse")
    monkeypatch.setenv("KRAKEN_HISTORY_CALL_COST", "4")
    monkeypatch.setenv("KRAKEN_RATE_LIMIT_MARGIN", "0.25")
    limits = KrakenRateLimits.from_env(clock=ManualClock())
    assert (limits.tier, limits.mode) == ("intermediate", "refuse")
    assert limits.safety_margin == 0.25
    assert limits.limits.trade_threshold == 125
    assert limits.rest_cost("TradesHistory") == 4
    assert limits.rest_cost("Balance") == 1


def test_from_env_names_the_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_TIER", "diamond")
    with pytest.raises(ConfigurationError, match="KRAKEN_TIER"):
        KrakenRateLimits.from_env()


def test_settings_object_can_be_passed_explicitly() -> None:
    settings = KrakenRateLimitSettings(tier="pro", rate_limit_mode="refuse")
    limits = KrakenRateLimits.from_env(settings=settings)
    assert limits.limits.max_open_orders == 225
    assert limits.mode == "refuse"
