"""KrakenRateLimits: REST counter, wait and refuse modes, venue rejections, settings."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from src.brokers.kraken.limits.counters import (
    TIERS,
    KrakenRateLimits,
    KrakenRateLimitSettings,
    TierLimits,
    trading_cost,
)
from src.brokers.kraken.limits.gate import RequestGate
from src.core.clock import ManualClock
from src.core.errors import (
    ConfigurationError,
    LocalRateLimitError,
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
    with pytest.raises(LocalRateLimitError) as new_pair:
        await limits.before_trade("ETHUSD", "add")  # a pair first used after the throttle
    assert new_pair.value.retry_after == pytest.approx(10.0)
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
