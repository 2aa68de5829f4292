"""Past 2,000 fills: get_fills, the runtime's owed-fill fetch and the summary see every one.

TradesHistory pages 50 trades at a time; the adapter once stopped at 40 pages, so the 2,001st
fill back was never read. Here one resting buy is filled in ``FILLS`` slices on the paper
exchange over loopback; the exchange, the adapter's rate-limit gate and the runtime's REST
budget share one ``ScaledClock`` (starter tier, ``SCALE`` times real time), so the paging
really waits on the gate, and the exchange's own counter shows it was never overrun.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from src.app.session import SessionSettings, Venue, build_runtime
from src.app.summary import summarize
from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ScaledClock
from src.core.execution import Order, OrderType, Side
from src.core.risk import RiskLimits
from src.core.sizing import OrderIntent
from src.core.strategy import MovingAverageCross
from src.venues.kraken_paper import KrakenError, PaperExchange

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILLS = 2_130  # 43 pages, the last one short
SLICE = Decimal("0.0001")
PRICE = Decimal(30000)
SCALE = 60.0  # starter: 15 points of headroom, then 0.33 a second (20 per real second here)


class Refusals:
    """Counts the paper exchange's rate-limit refusals and its TradesHistory calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, exchange: PaperExchange) -> None:
        self.refused = 0
        self.history_calls = 0
        limits = exchange.service.limits
        charge: Callable[..., None] = limits.charge_rest

        def metered(api_key: str, method: str, now: float) -> None:
            try:
                charge(api_key, method, now)
            except KrakenError:
                self.refused += 1
                raise
            self.history_calls += method == "TradesHistory"

        monkeypatch.setattr(limits, "charge_rest", metered)


@pytest.fixture
async def venue() -> AsyncIterator[tuple[Venue, PaperExchange]]:
    clock = ScaledClock(SCALE)
    exchange = PaperExchange(
        market="synthetic", auto_tick=False, tier="starter", clock=clock,
        initial_balances={"USD": "100000", "BTC": "0"},
    )  # fmt: skip
    async with exchange:
        exchange.drive("XBTUSD", str(PRICE + 100))
        # Loopback latency is scaled too (1 ms real is SCALE ms here): the gate keeps 50 ms
        # of real time in hand, as the rate-limit test does, where Kraken's 0.1 s would do.
        gate = KrakenRateLimits("starter", clock=clock, safety_margin=SCALE * 0.05)
        adapter = KrakenAdapter(
            api_key=exchange.api_key, api_secret=exchange.api_secret,
            base_url=exchange.rest_url, gate=gate, order_transport="rest",
        )  # fmt: skip
        async with adapter:
            yield Venue(adapter, exchange, clock, "paper"), exchange


async def fill_in_slices(exchange: PaperExchange, count: int) -> None:
    """Market sells just below the resting buy: each fills one ``SLICE`` of it at its limit."""
    for _ in range(count):
        exchange.drive("XBTUSD", str(PRICE - 1), str(SLICE), "sell")


async def test_get_fills_reads_every_page_within_the_rest_budget(
    venue: tuple[Venue, PaperExchange], monkeypatch: pytest.MonkeyPatch
) -> None:
    v, exchange = venue
    adapter = v.adapter

    before = datetime.now(UTC)
    order = Order(
        symbol="BTC/USD", side=Side.BUY, order_type=OrderType.LIMIT,
        quantity=SLICE * FILLS, limit_price=PRICE,
    )  # fmt: skip
    [ack] = await adapter.submit_orders([order])
    assert ack.order_id
    await fill_in_slices(exchange, FILLS)
    meter = Refusals(monkeypatch, exchange)

    fills = await adapter.get_fills(before)

    assert len(fills) == FILLS == len({f.fill_id for f in fills})
    assert sum((f.quantity for f in fills), Decimal(0)) == SLICE * FILLS
    assert [f.timestamp for f in fills] == sorted(f.timestamp for f in fills)
    assert meter.history_calls == math.ceil(FILLS / 50)
    assert meter.refused == 0  # the gate paced every page; the exchange never said no
    later = fills[-60].timestamp  # a later start: only what it covers (two pages)
    covered = {f.fill_id for f in fills if f.timestamp >= later}
    assert {f.fill_id for f in await adapter.get_fills(later)} == covered


async def test_owed_fills_and_the_summary_past_2000_fills(
    venue: tuple[Venue, PaperExchange], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v, exchange = venue
    settings = SessionSettings(db_path=tmp_path / "runtime.sqlite", limits=_limits())
    strategy = MovingAverageCross(["BTC/USD"], fast=2, slow=4, interval_minutes=60)
    runtime = build_runtime(v, strategy, settings, status_sink=lambda line: None)
    # No fill stream: the fills must come from the reconcile's fetch of what the order is owed.
    runtime.config = dataclasses.replace(runtime.config, stream_events=False)
    await runtime.start()
    intent = OrderIntent(
        "BTC/USD", Side.BUY, SLICE * FILLS, PRICE, order_type=OrderType.LIMIT, limit_price=PRICE
    )
    order = await runtime.oms.submit(intent)
    await fill_in_slices(exchange, FILLS)
    meter = Refusals(monkeypatch, exchange)

    await runtime.reconcile()  # the venue reports the order filled: its fills are owed

    assert runtime.store.get_order(order.client_order_id) is not None
    assert len(runtime.store.fills()) == FILLS
    assert runtime.portfolio.position("BTC/USD").quantity == SLICE * FILLS
    summary = await summarize(runtime, v.adapter)
    assert summary.rows[0].ours == summary.rows[0].exchange == str(FILLS), summary.table()
    assert summary.agrees, summary.table()
    assert meter.refused == 0
    await runtime.shutdown()


def _limits() -> RiskLimits:
    # One order of 0.213 BTC at 30,000: within the notional limits, no kill file.
    notional = SLICE * FILLS * PRICE * 2
    return RiskLimits(
        kill_file=None,
        max_order_notional=notional,
        max_position_notional=notional,
        max_gross_exposure=notional,
    )
