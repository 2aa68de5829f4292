"""Working orders when a cancel or amend reply is lost or refused.

The venue is asked, nothing is re-sent blindly, and the pair gets no new order until it says.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from src.core.errors import NetworkError, TradingRateLimitError
from src.core.execution import OrderStatus, Side
from src.core.order_changes import RETRY_SECONDS
from src.core.working_orders import WorkingOrderConfig
from tests.support.working_orders import QTY, SYMBOL, CancelOnly, make_rig, resting_buy

S = OrderStatus


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
