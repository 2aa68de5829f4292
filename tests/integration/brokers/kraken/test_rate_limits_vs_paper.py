"""End to end: KrakenRateLimits in front of KrakenAdapter never trips the paper exchange's limits.

How time is scaled: Kraken's starter limits (REST 15 + 0.33/s, trading 60 + 1/s) make this
workload need about an hour. The paper exchange, the adapter and the gate are all given one
``ScaledClock`` whose ``monotonic()`` runs ``SCALE`` times faster than real time and whose
``sleep(s)`` really sleeps ``s / SCALE``. Both sides therefore apply the *unchanged* starter
numbers in the same scaled seconds, and the hour passes in about ``3600 / SCALE`` (18) real seconds.
Real loopback latency (~1 ms a call) becomes ~``SCALE`` ms of scaled time; requests that queue
behind each other on the adapter's private-call lock shift by that much, so the gate keeps a
safety margin of ``MARGIN`` scaled seconds (50 ms real) below each limit. The margin only trims
the first burst; the steady rate is still each counter's full decay rate.

"Allowed" is measured on the server: the points the paper exchange actually charged to the REST
counter and to the pair's trading counter give the least time those counters permit,
``(points - maximum) / decay`` for each, and the workload can go no faster than the larger one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.limits.counters import TIERS, KrakenRateLimits
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import RateLimitError
from src.core.execution import Order, OrderType, Side
from src.venues.kraken_paper import KrakenError, PaperExchange
from tests.support.clocks import ScaledClock

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCALE = 200.0
MARGIN = 10.0  # scaled seconds = 50 ms real
READS = ("Balance", "OpenOrders", "TradeBalance", "ClosedOrders", "BalanceEx", "TradesHistory")


class CountingGate(KrakenRateLimits):
    """The gate under test, also counting the venue's rate-limit rejections it is told of."""

    rejections = 0

    def on_rate_limited(self, error: RateLimitError, pair: str | None = None) -> None:
        self.rejections += 1
        super().on_rate_limited(error, pair)


class ServerMeter:
    """Counts what the paper exchange charged and refused on its own rate-limit counters."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, exchange: PaperExchange) -> None:
        self.rest_points = 0.0
        self.trade_points = 0.0
        self.rejected = 0
        limits = exchange.service.limits
        monkeypatch.setattr(limits, "charge_rest", self._wrap(limits.charge_rest, self._rest))
        monkeypatch.setattr(limits, "charge_trade", self._wrap(limits.charge_trade, self._trade))

    def _wrap(
        self, charge: Callable[..., None], record: Callable[..., None]
    ) -> Callable[..., None]:
        def metered(*args: Any, **kwargs: Any) -> None:
            try:
                charge(*args, **kwargs)
            except KrakenError as exc:
                if "Rate limit" in exc.message:
                    self.rejected += 1
                raise
            record(*args)

        return metered

    def _rest(self, api_key: str, method: str, now: float) -> None:
        from src.venues.kraken_paper.ratelimit import REST_COSTS

        self.rest_points += REST_COSTS.get(method, 1)

    def _trade(self, account_id: str, pair: str, points: float, *rest: Any) -> None:
        self.trade_points += points


def resting_buy() -> Order:
    """A small limit buy far below the market, so it rests until cancelled (fresh client id)."""
    return Order(
        symbol="BTC/USD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.001"),
        limit_price=Decimal("1000"),
    )


async def test_burst_gets_no_rejection_at_ninety_percent_of_the_allowed_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ScaledClock(SCALE)
    tier = TIERS["starter"]
    async with PaperExchange(
        market="synthetic", tier="starter", clock=clock, auto_tick=False
    ) as exchange:
        meter = ServerMeter(monkeypatch, exchange)
        gate = CountingGate("starter", clock=clock, safety_margin=MARGIN)
        async with KrakenAdapter(
            exchange.api_key, exchange.api_secret, exchange.rest_url, gate=gate, clock=clock
        ) as adapter:
            await adapter.load_symbols()  # public call: not on the private counters

            async def reads() -> None:
                for i in range(1_000):
                    await adapter.request(READS[i % len(READS)])

            async def add_cancel_pairs() -> None:
                for _ in range(500):
                    ack = (await adapter.submit_orders([resting_buy()]))[0]
                    await adapter.cancel_order(ack.order_id)

            start = clock.monotonic()
            await asyncio.gather(reads(), add_cancel_pairs())
            elapsed = clock.monotonic() - start

            assert await adapter.get_orders("open") == []
    assert meter.rejected == 0
    assert gate.rejections == 0
    assert adapter.open_orders.count("XBTUSD") == 0
    rest_need = (meter.rest_points - tier.rest_max) / tier.rest_decay
    trade_need = (meter.trade_points - tier.trade_threshold) / tier.trade_decay
    ratio = max(rest_need, trade_need) / elapsed
    print(
        f"scaled {elapsed:.0f} s, rest {meter.rest_points:.0f} pts, trading "
        f"{meter.trade_points:.0f} pts, achieved/allowed {ratio:.3f}"
    )
    assert meter.rest_points >= 1_000
    assert ratio >= 0.9


async def test_guide_rate_limiter_examples_run_as_written_against_paper() -> None:
    from src.utils.rate_limiter import AdaptiveRateLimiter, MultiEndpointRateLimiter

    async with (
        PaperExchange(market="synthetic", auto_tick=False) as exchange,
        KrakenAdapter(exchange.api_key, exchange.api_secret, exchange.rest_url) as adapter,
    ):
        limiter = AdaptiveRateLimiter(max_requests=10, time_window=1.0)
        async with limiter:
            balances = await adapter.get_account()
        assert balances["USD"] == Decimal("10000")

        endpoints = MultiEndpointRateLimiter(
            {
                "/0/private/AddOrder": (15, 1.0),  # 15 orders/sec
                "/0/private/Balance": (10, 1.0),  # 10 req/sec
                "/0/public/Ticker": (1, 1.0),  # 1 req/sec
            }
        )
        async with endpoints.limit("/0/private/AddOrder"):
            acks = await adapter.submit_orders([resting_buy()])
        assert acks[0].order_id
        assert limiter.current_rate == 10
        await adapter.cancel_order(acks[0].order_id)
