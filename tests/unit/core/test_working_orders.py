"""Working orders on SimEngine with a manual clock: re-price, age out, flip, lost replies.

Every test drives the real runtime loop (``TradingRuntime.step``: quotes, candles, sizing,
risk, order manager, SQLite) with passive limit orders (``limit_offset_bps=-20``): a buy rests
20 bps under the market until the policy moves or cancels it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from src.core.clock import ManualClock
from src.core.errors import ConfigurationError, NetworkError, TradingRateLimitError
from src.core.execution import Order, OrderAck, OrderStatus, OrderType, Side
from src.core.instruments import Instrument
from src.core.kill_switch import KillSwitch
from src.core.market_data import Candle
from src.core.order_amend import AmendAck, OrderAmender
from src.core.order_changes import RETRY_SECONDS
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.sizing import SizingConfig, Target
from src.core.working_orders import WorkingOrderConfig
from src.venues.sim_engine import SimEngine
from tests.support.runtime import START, ListCandles

SYMBOL = "BTC/USD"
PRICE = Decimal(40_000)
QTY = Decimal("0.005")  # 200 USD at 40,000
S = OrderStatus

BTC = Instrument(
    symbol=SYMBOL,
    base="BTC",
    quote="USD",
    price_tick=Decimal("0.1"),
    lot_step=Decimal("0.00000001"),
    min_quantity=Decimal("0.0001"),
    min_cost=Decimal("0.5"),
)


class Recording(SimEngine):
    """SimEngine that logs every order call, in order, so tests can check what came first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, str]] = []

    async def submit_orders(self, orders: Sequence[Order]) -> list[OrderAck]:
        self.calls += [("submit", f"{o.side.value} {o.client_order_id}") for o in orders]
        return await super().submit_orders(orders)

    async def cancel_order(self, order_id: str) -> Any:
        self.calls.append(("cancel", order_id))
        return await super().cancel_order(order_id)

    async def amend_working_order(self, order_id: str, **kwargs: Any) -> AmendAck:
        self.calls.append(("amend", order_id))
        return await super().amend_working_order(order_id, **kwargs)

    def open_orders(self) -> list[Any]:
        return [o for o in self.orders.values() if not o.status.is_final]


class CancelOnly(Recording):
    """A venue without amends: the runtime must cancel and replace."""

    amend_working_order = None  # type: ignore[assignment]


class Scripted:
    """A strategy whose next target a test sets (None: no opinion)."""

    symbols = (SYMBOL,)
    interval_minutes = 1
    warmup_candles = 1

    def __init__(self) -> None:
        self.target: Decimal | None = None

    def on_candle(self, candle: Candle) -> list[Target]:
        return [] if self.target is None else [Target(candle.symbol, self.target)]


@dataclass
class Rig:
    engine: Recording
    clock: ManualClock
    runtime: TradingRuntime
    strategy: Scripted
    candles: ListCandles
    db: Path
    sent: list[ManagedOrder] = field(default_factory=list)

    async def candle(self, target: Decimal | None = None, price: Decimal | None = None) -> None:
        """Move the market (if asked), close a candle there with ``target``, run one step."""
        if price is not None:
            self.engine.set_price(SYMBOL, price)
        at, close = START + timedelta(minutes=len(self.candles.candles)), self.engine.prices[SYMBOL]
        bar = {"open": close, "high": close, "low": close, "close": close, "volume": Decimal(1)}
        self.candles.candles.append(Candle(symbol=SYMBOL, interval_minutes=1, timestamp=at, **bar))
        self.candles.released = len(self.candles.candles)
        self.strategy.target = target
        await self.step()

    async def after(self, seconds: float, price: Decimal | None = None) -> None:
        """Let ``seconds`` pass, move the market (if asked) and run one step (no candle)."""
        self.clock.advance(seconds)
        if price is not None:
            self.engine.set_price(SYMBOL, price)
        await self.step()

    async def step(self) -> None:
        before = self.runtime.stats.orders_sent
        await self.runtime.step()
        assert self.runtime.stats.orders_sent >= before

    def order(self, cloid: str) -> ManagedOrder:
        order = self.runtime.store.get_order(cloid)
        assert order is not None
        return order

    def only_live(self) -> ManagedOrder:
        live = list(self.runtime.oms.live.values())
        assert len(live) == 1, live
        return live[0]

    def reasons(self, cloid: str) -> list[str]:
        with sqlite3.connect(self.db) as db:
            rows = db.execute(
                "SELECT reason FROM order_events WHERE client_order_id = ? ORDER BY id", (cloid,)
            ).fetchall()
        return [r[0] or "" for r in rows]

    def pending(self) -> dict[str, Decimal]:
        return self.runtime.oms.pending_quantities()


async def make_rig(
    tmp_path: Path,
    working: WorkingOrderConfig,
    *,
    engine_type: type[Recording] = Recording,
    stream_events: bool = True,
) -> Rig:
    clock = ManualClock(start=1000.0, wall_start=START)
    engine = engine_type(
        {SYMBOL: BTC}, {"USD": Decimal(10_000), "BTC": Decimal("0.5")}, clock=clock
    )
    engine.set_price(SYMBOL, PRICE)
    strategy = Scripted()
    candles = ListCandles([])
    db = tmp_path / "rt.sqlite"
    runtime = TradingRuntime(
        engine,
        strategy,
        store=OrderStore(db),
        risk=RiskManager(RiskLimits(kill_file=None), clock, KillSwitch()),
        clock=clock,
        candles=candles,
        quotes=engine,
        config=RuntimeConfig(
            sizing=SizingConfig(capital_per_pair=Decimal(200), limit_offset_bps=Decimal(-20)),
            stream_events=stream_events,
            working_orders=working,
        ),
        status_sink=lambda line: None,
    )
    await runtime.start()
    return Rig(engine, clock, runtime, strategy, candles, db)


async def resting_buy(rig: Rig) -> ManagedOrder:
    """Target 1 at 40,000: a passive buy of 0.005 at 39,920.0 that rests."""
    await rig.candle(Decimal(1))
    order = rig.only_live()
    assert (order.side, order.order_type, order.status) == (Side.BUY, OrderType.LIMIT, S.OPEN)
    assert (order.quantity, order.limit_price) == (QTY, Decimal("39920.0"))
    return order


# ----------------------------------------------------------------------------- amend


async def test_a_resting_order_is_amended_once_the_price_moves_past_the_threshold(
    tmp_path: Path,
) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=10, reprice_threshold_bps=Decimal(10))
    rig = await make_rig(tmp_path, config)
    order = await resting_buy(rig)
    assert isinstance(rig.engine, OrderAmender)

    await rig.after(11, price=Decimal(40_030))  # old enough, but 7.5 bps: under the threshold
    assert rig.engine.amends == []
    await rig.after(1, price=Decimal("40123.4"))  # 30.9 bps

    # 40123.4 * 0.998 = 40043.1532, rounded down to the tick (a buy is never made dearer).
    assert rig.engine.amends == [(order.order_id, None, Decimal("40043.1"))]
    amended = rig.only_live()
    assert amended.client_order_id == order.client_order_id  # same order, ids kept
    assert amended.order_id == order.order_id
    assert (amended.limit_price, amended.reference_price) == (
        Decimal("40043.1"),
        Decimal("40123.4"),
    )
    venue = rig.engine.orders[order.order_id or ""]
    assert (venue.limit_price, venue.status) == (Decimal("40043.1"), S.OPEN)
    assert rig.pending() == {SYMBOL: QTY}
    reasons = rig.reasons(order.client_order_id)
    assert "amend requested: limit 39920.0 -> 40043.1" in reasons
    assert any(
        r.startswith("amended: quantity 0.00500000, limit 40043.1 (amend SIMA-") for r in reasons
    )
    assert rig.runtime.working.counts["amended"] == 1

    # Quiet market: the reference is the new price, so nothing more is sent.
    await rig.after(30)
    assert len(rig.engine.amends) == 1
    await rig.runtime.feed.stop()


async def test_too_soon_or_too_small_moves_do_not_amend(tmp_path: Path) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=60, reprice_threshold_bps=Decimal(50))
    rig = await make_rig(tmp_path, config)
    await resting_buy(rig)
    await rig.after(10, price=Decimal(40_400))  # 100 bps, 10 s old: too soon
    await rig.after(100, price=Decimal(40_100))  # 110 s old, 25 bps: too small
    assert rig.engine.amends == []
    await rig.after(1, price=Decimal(40_300))  # 75 bps and old enough
    assert len(rig.engine.amends) == 1
    await rig.runtime.feed.stop()


async def test_after_max_reprices_the_next_due_reprice_cancels(tmp_path: Path) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=0, max_reprices=1)
    rig = await make_rig(tmp_path, config)
    order = await resting_buy(rig)
    await rig.after(1, price=Decimal(40_200))
    assert len(rig.engine.amends) == 1
    await rig.after(1, price=Decimal(40_400))
    assert len(rig.engine.amends) == 1  # no second amend...
    assert rig.order(order.client_order_id).status is S.CANCELED  # ...it was cancelled
    assert rig.engine.orders[order.order_id or ""].status is S.CANCELED
    assert "cancel requested: max_reprices: 1 re-prices done" in rig.reasons(order.client_order_id)
    assert rig.pending() == {}
    await rig.runtime.feed.stop()


# ----------------------------------------------------------------------------- cancel


async def test_a_resting_order_is_cancelled_after_cancel_after(tmp_path: Path) -> None:
    rig = await make_rig(tmp_path, WorkingOrderConfig(cancel_after_seconds=60))
    order = await resting_buy(rig)
    await rig.after(59)
    assert rig.only_live().status is S.OPEN
    assert rig.pending() == {SYMBOL: QTY}

    await rig.after(2)
    assert rig.order(order.client_order_id).status is S.CANCELED
    assert rig.engine.orders[order.order_id or ""].status is S.CANCELED
    assert rig.runtime.oms.live == {}
    assert rig.pending() == {}  # the pair is free again
    assert "cancel requested: cancel_after: resting 61 s" in rig.reasons(order.client_order_id)
    assert rig.reasons(order.client_order_id)[-1] == "venue report"  # then the venue's word

    # The next candle with the same target plans a fresh order: nothing blocks the pair.
    await rig.candle(Decimal(1))
    assert rig.only_live().client_order_id != order.client_order_id
    await rig.runtime.feed.stop()


async def test_defaults_leave_a_resting_order_alone(tmp_path: Path) -> None:
    assert not WorkingOrderConfig().enabled
    assert RuntimeConfig().working_orders == WorkingOrderConfig()
    rig = await make_rig(tmp_path, WorkingOrderConfig())
    order = await resting_buy(rig)
    await rig.after(3600, price=Decimal(42_000))
    await rig.candle(Decimal(1))
    assert rig.engine.calls == [("submit", f"buy {order.client_order_id}")]
    assert rig.order(order.client_order_id).status is S.OPEN
    await rig.runtime.feed.stop()


async def test_a_target_flip_cancels_the_working_order_before_a_new_one_is_planned(
    tmp_path: Path,
) -> None:
    rig = await make_rig(tmp_path, WorkingOrderConfig(cancel_on_flip=True))
    buy = await resting_buy(rig)
    rig.engine.fill(buy.order_id or "", Decimal("0.002"))  # the market takes part of it
    await rig.after(1)
    assert rig.runtime.portfolio.position(SYMBOL).quantity == Decimal("0.002")

    await rig.candle(Decimal(1))  # same target: the buy still helps, it stays
    assert rig.only_live().client_order_id == buy.client_order_id

    await rig.candle(Decimal(0))  # flat now: the buy works against it
    assert rig.order(buy.client_order_id).status is S.CANCELED
    sell = rig.only_live()
    assert (sell.side, sell.quantity) == (Side.SELL, Decimal("0.002"))  # exactly the holding
    assert rig.engine.calls == [
        ("submit", f"buy {buy.client_order_id}"),
        ("cancel", buy.order_id),
        ("submit", f"sell {sell.client_order_id}"),
    ]
    assert len(rig.engine.open_orders()) == 1
    assert rig.reasons(buy.client_order_id)[-2].startswith("cancel requested: target flip")
    await rig.runtime.feed.stop()


async def test_a_flip_whose_cancel_reply_is_lost_plans_nothing_until_the_venue_says(
    tmp_path: Path,
) -> None:
    rig = await make_rig(tmp_path, WorkingOrderConfig(cancel_on_flip=True))
    buy = await resting_buy(rig)
    rig.engine.fill(buy.order_id or "", Decimal("0.002"))
    await rig.after(1)
    rig.engine.fail_next_cancel = NetworkError("read timeout", outcome_known=False)
    rig.engine.fail_after_change = False  # the cancel never reached the book

    await rig.candle(Decimal(0))  # flip: cancel sent, its reply lost
    assert rig.runtime.working.busy_symbols() == {SYMBOL}
    assert "cancel outcome unknown: read timeout" in rig.reasons(buy.client_order_id)
    await rig.candle(Decimal(0))  # the venue still shows the buy open: no sell planned
    assert [c for c, _ in rig.engine.calls] == ["submit", "cancel"]
    assert rig.order(buy.client_order_id).status is S.PARTIALLY_FILLED

    await rig.after(RETRY_SECONDS)  # asked again, still open: the cancel goes again, confirmed
    assert [c for c, _ in rig.engine.calls] == ["submit", "cancel", "cancel"]
    assert rig.runtime.working.busy_symbols() == set()
    assert rig.order(buy.client_order_id).status is S.CANCELED
    await rig.candle(Decimal(0))  # only now is the holding sold
    sell = rig.only_live()
    assert (sell.side, sell.quantity) == (Side.SELL, Decimal("0.002"))
    assert [c for c, _ in rig.engine.calls] == ["submit", "cancel", "cancel", "submit"]
    assert len(rig.engine.open_orders()) == 1
    await rig.runtime.feed.stop()


# ----------------------------------------------------------------------------- replace


async def test_an_engine_without_amend_gets_cancel_and_replace_with_a_new_client_id(
    tmp_path: Path,
) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=0, max_reprices=1)
    rig = await make_rig(tmp_path, config, engine_type=CancelOnly)
    assert not isinstance(rig.engine, OrderAmender)
    old = await resting_buy(rig)
    rig.engine.fill(old.order_id or "", Decimal("0.001"))
    await rig.after(1, price=Decimal(40_200))

    new = rig.only_live()
    assert new.client_order_id != old.client_order_id
    assert new.order_id != old.order_id
    assert (new.side, new.order_type) == (Side.BUY, OrderType.LIMIT)
    assert new.quantity == QTY - Decimal("0.001")  # only what is left of the intent
    assert new.limit_price == Decimal("40119.6")  # 40,200 * 0.998
    assert new.reason == f"replaces {old.client_order_id}"
    assert rig.order(old.client_order_id).status is S.CANCELED
    assert [c for c, _ in rig.engine.calls] == ["submit", "cancel", "submit"]
    assert len(rig.engine.open_orders()) == 1
    assert rig.pending() == {SYMBOL: QTY - Decimal("0.001")}

    # The replacement carries the intent's re-price count: the next move cancels it.
    await rig.after(1, price=Decimal(40_400))
    assert rig.order(new.client_order_id).status is S.CANCELED
    assert rig.runtime.oms.live == {}
    assert [c for c, _ in rig.engine.calls] == ["submit", "cancel", "submit", "cancel"]
    await rig.runtime.feed.stop()


@pytest.mark.parametrize("applied", [False, True], ids=["cancel-lost", "reply-lost"])
async def test_a_lost_cancel_reply_sends_no_replacement_until_the_venue_says_it_is_gone(
    tmp_path: Path, applied: bool
) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=0)
    rig = await make_rig(tmp_path, config, engine_type=CancelOnly)
    old = await resting_buy(rig)
    rig.engine.fail_next_cancel = NetworkError("connection reset", outcome_known=False)
    rig.engine.fail_after_change = applied

    await rig.after(1, price=Decimal(40_200))  # re-price due: cancel sent, reply lost
    assert rig.runtime.working.busy_symbols() == {SYMBOL}
    assert [c for c, _ in rig.engine.calls] == ["submit", "cancel"]

    if not applied:  # the venue still lists it open: asked again, not re-sent before the delay
        await rig.candle(Decimal(1))  # the strategy asks again: nothing planned on a busy pair
        assert [c for c, _ in rig.engine.calls] == ["submit", "cancel"]
        await rig.after(RETRY_SECONDS / 2)
        assert [c for c, _ in rig.engine.calls] == ["submit", "cancel"]
        assert rig.engine.orders[old.order_id or ""].status is S.OPEN
        assert rig.runtime.working.busy_symbols() == {SYMBOL}
        await rig.after(RETRY_SECONDS)  # still open at the venue: now the cancel goes again
        assert [c for c, _ in rig.engine.calls] == ["submit", "cancel", "cancel", "submit"]
    else:  # the venue says it is cancelled: no second cancel, the replacement goes at once
        await rig.after(1)
        assert [c for c, _ in rig.engine.calls] == ["submit", "cancel", "submit"]

    assert rig.order(old.client_order_id).status is S.CANCELED
    new = rig.only_live()
    assert new.client_order_id != old.client_order_id
    assert (new.quantity, new.limit_price) == (QTY, Decimal("40119.6"))
    assert len(rig.engine.open_orders()) == 1  # never two live orders for one intent
    assert "cancel outcome unknown: connection reset" in rig.reasons(old.client_order_id)
    await rig.runtime.feed.stop()


# ----------------------------------------------------------------------------- quantities


@pytest.mark.parametrize("streamed", [True, False], ids=["fill-applied", "fill-not-yet-applied"])
async def test_pending_quantities_after_a_partial_fill_then_a_cancel(
    tmp_path: Path, streamed: bool
) -> None:
    rig = await make_rig(tmp_path, WorkingOrderConfig(), stream_events=streamed)
    order = await resting_buy(rig)
    rig.engine.fill(order.order_id or "", Decimal("0.002"))
    await rig.after(1)
    if streamed:
        assert rig.pending() == {SYMBOL: Decimal("0.003")}

    canceled = await rig.runtime.working.cancel(order.client_order_id, "test")
    assert canceled is not None and canceled.status is S.CANCELED
    assert canceled.venue_filled_quantity == Decimal("0.002")
    if streamed:
        assert rig.pending() == {}
        assert rig.runtime.portfolio.position(SYMBOL).quantity == Decimal("0.002")
    else:
        # The venue says 0.002 filled but the fill is not in the books yet: it still counts,
        # so the pair is not traded twice; the rest of the order no longer does.
        assert rig.pending() == {SYMBOL: Decimal("0.002")}
        await rig.runtime.poll_fills()
        assert rig.pending() == {}
        assert rig.runtime.portfolio.position(SYMBOL).quantity == Decimal("0.002")
    await rig.runtime.feed.stop()


async def test_pending_quantities_follow_a_quantity_amend(tmp_path: Path) -> None:
    rig = await make_rig(tmp_path, WorkingOrderConfig())
    order = await resting_buy(rig)
    rig.engine.fill(order.order_id or "", Decimal("0.001"))
    await rig.after(1)
    assert rig.pending() == {SYMBOL: Decimal("0.004")}

    amended = await rig.runtime.working.amend(order.client_order_id, quantity=Decimal("0.003"))
    assert amended is not None and amended.quantity == Decimal("0.003")
    assert rig.engine.orders[order.order_id or ""].quantity == Decimal("0.003")
    assert rig.pending() == {SYMBOL: Decimal("0.002")}  # 0.003 in all, 0.001 of it filled
    rig.engine.fill(order.order_id or "", Decimal("0.002"))  # the rest fills: order done
    await rig.after(1)
    assert rig.pending() == {}
    assert rig.order(order.client_order_id).status is S.FILLED
    assert rig.runtime.portfolio.position(SYMBOL).quantity == Decimal("0.003")

    with pytest.raises(ValueError, match="not a working"):
        await rig.runtime.working.cancel(order.client_order_id)
    await rig.runtime.feed.stop()


async def test_a_quantity_amend_without_amend_support_replaces_what_is_left(
    tmp_path: Path,
) -> None:
    rig = await make_rig(tmp_path, WorkingOrderConfig(), engine_type=CancelOnly)
    order = await resting_buy(rig)
    rig.engine.fill(order.order_id or "", Decimal("0.001"))
    await rig.after(1)
    new = await rig.runtime.working.amend(order.client_order_id, quantity=Decimal("0.004"))
    assert new is not None and new.client_order_id != order.client_order_id
    assert (new.quantity, new.limit_price) == (Decimal("0.003"), order.limit_price)
    assert rig.pending() == {SYMBOL: Decimal("0.003")}
    with pytest.raises(ValueError, match="not above what has filled"):
        await rig.runtime.working.amend(new.client_order_id, quantity=Decimal(0))
    await rig.runtime.feed.stop()


# ----------------------------------------------------------------------------- lost amends


@pytest.mark.parametrize("applied", [True, False], ids=["amend-took", "amend-lost"])
async def test_a_lost_amend_reply_is_resolved_by_asking_the_venue(
    tmp_path: Path, applied: bool
) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=0, max_reprices=5)
    rig = await make_rig(tmp_path, config)
    order = await resting_buy(rig)
    rig.engine.fail_next_amend = NetworkError("read timeout", outcome_known=False)
    rig.engine.fail_after_change = applied

    await rig.after(1, price=Decimal(40_200))
    assert rig.runtime.working.busy_symbols() == {SYMBOL}
    assert rig.order(order.client_order_id).limit_price == Decimal("39920.0")  # not guessed
    await rig.after(1)  # asked: the venue's order says whether the amend took
    assert rig.runtime.working.busy_symbols() == set()
    stored = rig.order(order.client_order_id)
    reasons = rig.reasons(order.client_order_id)
    if applied:
        assert stored.limit_price == Decimal("40119.6")
        assert any(r.startswith("amended: quantity 0.00500000, limit 40119.6") for r in reasons)
        assert [c for c, _ in rig.engine.calls] == ["submit", "amend"]  # never sent twice
    else:
        assert stored.limit_price == Decimal("39920.0")
        assert "amend not in effect: the venue shows the order unchanged" in reasons
        await rig.after(RETRY_SECONDS)  # still due: a new amend, since the venue said no
        assert rig.order(order.client_order_id).limit_price == Decimal("40119.6")
    assert len(rig.engine.open_orders()) == 1
    await rig.runtime.feed.stop()


async def test_a_refused_amend_is_logged_and_retried_later_not_at_once(tmp_path: Path) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=0)
    rig = await make_rig(tmp_path, config)
    order = await resting_buy(rig)
    rig.engine.fail_next_amend = TradingRateLimitError("EOrder:Rate limit exceeded")
    await rig.after(1, price=Decimal(40_200))
    await rig.after(1)
    assert [c for c, _ in rig.engine.calls] == ["submit", "amend"]
    assert any(r.startswith("amend refused:") for r in rig.reasons(order.client_order_id))
    await rig.after(RETRY_SECONDS)
    assert [c for c, _ in rig.engine.calls] == ["submit", "amend", "amend"]
    assert rig.order(order.client_order_id).limit_price == Decimal("40119.6")
    await rig.runtime.feed.stop()


# ----------------------------------------------------------------------------- restart, config


async def test_a_restart_keeps_the_intent_clocks(tmp_path: Path) -> None:
    config = WorkingOrderConfig(reprice_after_seconds=0, max_reprices=1)
    rig = await make_rig(tmp_path, config, engine_type=CancelOnly)
    await resting_buy(rig)
    await rig.after(1, price=Decimal(40_200))
    new = rig.only_live()
    await rig.runtime.feed.stop()

    again = TradingRuntime(
        rig.engine, rig.strategy, store=OrderStore(rig.db),
        risk=RiskManager(RiskLimits(kill_file=None), rig.clock, KillSwitch()),
        clock=rig.clock, candles=rig.candles, quotes=rig.engine, config=rig.runtime.config,
        status_sink=lambda line: None,
    )  # fmt: skip
    await again.start()
    rig.runtime = again
    await rig.after(1, price=Decimal(40_400))  # its one re-price was spent before the restart
    assert rig.order(new.client_order_id).status is S.CANCELED
    assert again.oms.live == {}
    await again.feed.stop()


@pytest.mark.parametrize(
    "bad",
    [
        {"reprice_after_seconds": -1},
        {"cancel_after_seconds": -0.5},
        {"reprice_threshold_bps": Decimal(-1)},
        {"max_reprices": -1},
    ],
)
def test_negative_settings_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(bad))):
        WorkingOrderConfig(**bad)
