"""Working orders on SimEngine with a manual clock: re-price, age out, flip, cancel-and-replace.

Each test drives the real runtime loop (see ``tests.support.working_orders``); lost and
refused replies are in ``test_working_orders_lost_replies.py``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from src.app.session import SessionSettings, Venue, build_runtime
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.core.errors import ConfigurationError
from src.core.execution import OrderStatus, OrderType, Side
from src.core.kill_switch import KillSwitch
from src.core.order_amend import OrderAmender
from src.core.order_store import OrderStore
from src.core.risk import RiskLimits, RiskManager
from src.core.runtime import RuntimeConfig, TradingRuntime
from src.core.working_orders import WorkingOrderConfig
from tests.support.working_orders import (
    QTY,
    SYMBOL,
    CancelOnly,
    Scripted,
    make_rig,
    resting_buy,
)

S = OrderStatus


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


async def test_session_settings_reach_the_runtime_and_default_to_off(tmp_path: Path) -> None:
    adapter = KrakenAdapter(api_key="k", api_secret="c2VjcmV0")  # never connects here
    venue = Venue(adapter, None, ManualClock(), "paper")
    plain = build_runtime(venue, Scripted(), SessionSettings(db_path=tmp_path / "a.sqlite"))
    assert plain.config.sizing.limit_offset_bps is None
    assert not plain.config.working_orders.enabled

    working = WorkingOrderConfig(reprice_after_seconds=30, cancel_after_seconds=600)
    settings = SessionSettings(
        db_path=tmp_path / "b.sqlite", limit_offset_bps=Decimal(-5), working_orders=working
    )
    runtime = build_runtime(venue, Scripted(), settings)
    assert runtime.config.sizing.limit_offset_bps == Decimal(-5)
    assert runtime.config.working_orders == working
    assert runtime.working.config is working
    await adapter.aclose()
