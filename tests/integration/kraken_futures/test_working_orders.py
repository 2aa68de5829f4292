"""Working orders on a perpetual: the futures adapter on the paper venue, over loopback.

A runtime with a passive offset (``limit_offset_bps=-20``) rests a buy under the mid; the
street fills part of it; the market moves away and the working-order policy re-prices what
is left (in place with ``editorder``, as spot amends, or by cancel-and-replace on an engine
without amends); the street fills the rest; then a passive sell rests until
``cancel_after_seconds`` cancels it. The venue's own records (its orders by ``cliOrdId``, its
fills and account log) must agree with the runtime's database at each stage: no order sent
twice, every fill booked once. The runtime's timers run on a manual clock; the venue and the
adapter on real time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.brokers.kraken_futures.limits.budgets import NullFuturesGate
from src.core.clock import ManualClock
from src.core.execution import OrderStatus, Side
from src.core.futures_risk import FuturesRiskLimits
from src.core.kill_switch import KillSwitch
from src.core.order_amend import OrderAmender
from src.core.order_outcome import LostReplyPolicy
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig, limit_price_for
from src.core.working_orders import WorkingOrderConfig
from src.venues.kraken_futures_paper import FuturesPaperExchange
from tests.support.runtime import ListCandles, make_candles
from tests.support.waiting import eventually
from tests.support.working_orders import Scripted

D = Decimal
PF = "PF_XBTUSD"
ZERO = D(0)


def runtime_for(
    adapter: KrakenFuturesAdapter, clock: ManualClock, path: Path
) -> tuple[TradingRuntime, Scripted, ListCandles]:
    strategy = Scripted()
    strategy.symbols = (PF,)
    limits = RiskLimits(
        allowed_pairs=frozenset({PF}), allow_leverage=True, max_order_notional=D(5000),
        max_position_notional=D(5000), max_gross_exposure=D(10000), kill_file=None,
    )  # fmt: skip
    candles = ListCandles(make_candles(PF, [60000, 60000, 60600]), released=1)
    working = WorkingOrderConfig(
        reprice_after_seconds=5, reprice_threshold_bps=D(10), cancel_after_seconds=120
    )
    runtime = TradingRuntime(
        adapter, strategy, store=OrderStore(path), clock=clock, candles=candles,
        risk=RiskManager(limits, clock, KillSwitch()), quotes=adapter,
        config=RuntimeConfig(
            sizing=SizingConfig(capital_per_pair=D(1000), limit_offset_bps=D(-20)),
            reconcile_seconds=3600.0, history_candles=1, working_orders=working,
        ),
        futures_limits=FuturesRiskLimits(), status_sink=lambda line: None,
    )  # fmt: skip
    return runtime, strategy, candles


def held(runtime: TradingRuntime) -> Callable[[], Awaitable[Decimal]]:
    """A probe that runs one loop step (fills by stream, else by poll) and returns the position."""

    async def probe() -> Decimal:
        await runtime.step()
        return runtime.portfolio.position(PF).quantity

    return probe


class CancelOnly(KrakenFuturesAdapter):
    """The adapter without amends: the runtime must cancel and replace."""

    amend_working_order = None  # type: ignore[assignment]


@pytest.mark.parametrize("in_place", [True, False], ids=["editorder", "cancel-and-replace"])
async def test_a_resting_futures_limit_is_repriced_then_cancelled_and_the_venue_agrees(
    venue: FuturesPaperExchange, tmp_path: Path, in_place: bool
) -> None:
    kind = KrakenFuturesAdapter if in_place else CancelOnly
    async with kind(
        venue.api_key, venue.api_secret, venue.rest_url,
        settings=KrakenFuturesSettings(environment="demo"), gate=NullFuturesGate(),
        lost_reply=LostReplyPolicy(first_delay=0.05),
    ) as adapter:  # fmt: skip
        adapter.fill_poll_interval = 0.05
        await run_the_working_orders(adapter, venue, tmp_path, in_place)


async def run_the_working_orders(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange, tmp_path: Path, in_place: bool
) -> None:
    clock = ManualClock(start=0.0, wall_start=datetime.now(UTC))
    runtime, strategy, candles = runtime_for(adapter, clock, tmp_path / "f.db")
    await runtime.start()
    gate = runtime.oms.engine
    # The runtime holds the adapter behind the futures risk gate, which amends exactly when
    # the adapter does; each replacement or added quantity is checked by the limits.
    assert gate is runtime.futures_gate and isinstance(gate, OrderAmender) is in_place
    account = venue.engine.accounts[venue.account_id]
    try:
        strategy.target = D(1)  # long 1,000 USD at 60,000: a passive buy of 0.0166
        candles.released = 2
        await runtime.step()
        (first,) = runtime.oms.live.values()
        mid = first.reference_price
        assert mid is not None and first.limit_price is not None
        instrument = runtime.instruments[PF]
        assert first.limit_price == limit_price_for(mid, Side.BUY, D(-20), instrument)
        assert (first.side, first.quantity) == (Side.BUY, D("0.0166"))
        assert first.status is OrderStatus.OPEN
        [resting] = venue.engine.open_orders(venue.account_id)
        assert resting.cli_ord_id == first.client_order_id
        assert resting.limit_price == first.limit_price

        # The street takes 0.0066 of it: one fill, booked once (stream or poll).
        strategy.target = None
        assert venue.drive(PF, "sell", "0.0066", first.limit_price) == D("0.0066")
        await eventually(held(runtime), "the partial fill", ok=lambda q: q == D("0.0066"))

        # The market runs 1 % away: past the threshold and the delay, the rest is re-priced
        # 20 bps under the new mid.
        venue.set_index("XBT", 60600)
        clock.advance(6)
        await runtime.step()
        (second,) = runtime.oms.live.values()
        assert second.limit_price is not None and second.reference_price is not None
        assert second.reference_price > D(60500)
        assert second.limit_price == limit_price_for(
            second.reference_price, Side.BUY, D(-20), instrument
        )
        [resting] = venue.engine.open_orders(venue.account_id)
        assert resting.limit_price == second.limit_price
        assert resting.size - resting.filled == D("0.0100")
        if in_place:  # editorder: the same order (ids kept), its total and fill unchanged
            assert second.client_order_id == first.client_order_id
            assert second.order_id == first.order_id == resting.order_id
            assert (second.quantity, second.filled_quantity) == (D("0.0166"), D("0.0066"))
            assert runtime.working.desk.counts["amended"] == 1
        else:  # cancelled, then what is left replaced under a new cliOrdId
            old = runtime.store.get_order(first.client_order_id)
            assert old is not None and old.status is OrderStatus.CANCELED
            assert old.filled_quantity == D("0.0066")
            assert second.client_order_id != first.client_order_id
            assert second.quantity == D("0.0100")
            assert runtime.working.desk.counts["replaced"] == 1
        assert resting.cli_ord_id == second.client_order_id

        # The street takes the rest at the new price: the target is reached, once.
        assert venue.drive(PF, "sell", "0.0100", second.limit_price) == D("0.0100")
        await eventually(held(runtime), "the second fill", ok=lambda q: q == D("0.0166"))
        await runtime.step()
        assert runtime.oms.live == {}

        # Target flat: a passive sell rests above the mid until cancel_after cancels it.
        strategy.target = D(0)
        candles.released = 3
        await runtime.step()
        (sell,) = runtime.oms.live.values()
        assert sell.side is Side.SELL and sell.status is OrderStatus.OPEN
        strategy.target = None
        clock.advance(121)
        await runtime.step()
        final = runtime.store.get_order(sell.client_order_id)
        assert final is not None and final.status is OrderStatus.CANCELED
        assert venue.engine.open_orders(venue.account_id) == []
        assert runtime.oms.live == {} and runtime.oms.pending_quantities() == {}

        report = await runtime.reconcile()
        # Each of the runtime's orders reached the venue exactly once, under its cliOrdId.
        sent = [
            str(o.cli_ord_id) for o in venue.engine.orders.values() if o.account == venue.account_id
        ]
        mine = [o.client_order_id for o in runtime.store.orders()]
        assert sorted(sent) == sorted(mine) and len(set(sent)) == len(sent) == 3 - in_place
        # Every venue fill booked once; the books are the venue's.
        venue_fills = [f.fill_id for f in account.fills]
        assert sorted(f.fill_id for f in runtime.store.fills()) == sorted(venue_fills)
        assert len(venue_fills) == 2
        log = [e for e in account.log if e.contract == PF]
        assert runtime.portfolio.fees == sum((e.fee or ZERO for e in log), ZERO)
        assert runtime.portfolio.position(PF).quantity == account.positions[PF].size
        assert runtime.portfolio.expected_with_funding()["USD"] == account.flex["USD"]
        assert report.balance_differences == []
        assert report.futures is not None and report.futures.position_differences == []
    finally:
        await runtime.shutdown()
