"""Every legal and illegal order-status transition, checked against a table written out here."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.core.execution import OrderStatus, OrderType, Side
from src.core.order_state import IllegalTransitionError, ManagedOrder, can_transition

S = OrderStatus
# Written independently of the implementation's table: the spec, by hand.
LEGAL = {
    (S.NEW, S.PENDING), (S.NEW, S.REJECTED), (S.NEW, S.CANCELED), (S.NEW, S.UNKNOWN),
    (S.PENDING, S.OPEN), (S.PENDING, S.PARTIALLY_FILLED), (S.PENDING, S.FILLED),
    (S.PENDING, S.CANCELED), (S.PENDING, S.REJECTED), (S.PENDING, S.EXPIRED),
    (S.PENDING, S.UNKNOWN),
    (S.OPEN, S.PARTIALLY_FILLED), (S.OPEN, S.FILLED), (S.OPEN, S.CANCELED),
    (S.OPEN, S.EXPIRED), (S.OPEN, S.UNKNOWN),
    (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED), (S.PARTIALLY_FILLED, S.FILLED),
    (S.PARTIALLY_FILLED, S.CANCELED), (S.PARTIALLY_FILLED, S.EXPIRED),
    (S.PARTIALLY_FILLED, S.UNKNOWN),
    (S.UNKNOWN, S.UNKNOWN), (S.UNKNOWN, S.OPEN), (S.UNKNOWN, S.PARTIALLY_FILLED),
    (S.UNKNOWN, S.FILLED), (S.UNKNOWN, S.CANCELED), (S.UNKNOWN, S.REJECTED),
    (S.UNKNOWN, S.EXPIRED),
}  # fmt: skip
ALL_PAIRS = list(itertools.product(list(S), repeat=2))
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def _order(status: OrderStatus) -> ManagedOrder:
    return ManagedOrder(
        client_order_id="c1",
        symbol="BTC/USD",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(1),
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=lambda s: s.value)
def test_transition_is_legal_exactly_when_the_spec_says(current: S, target: S) -> None:
    order = _order(current)
    if (current, target) in LEGAL:
        assert can_transition(current, target)
        moved = order.transition(target, NOW, "why")
        assert moved.status is target
        assert moved.reason == "why"
        assert order.status is current  # the original record is unchanged
    else:
        assert not can_transition(current, target)
        with pytest.raises(IllegalTransitionError, match=f"{current.value} -> {target.value}"):
            order.transition(target, NOW)


def test_final_states_accept_nothing() -> None:
    for final in (S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED):
        assert final.is_final
        assert not any(can_transition(final, t) for t in S)


def test_unapplied_quantity_counts_unfilled_work_by_status() -> None:
    order = _order(S.OPEN)
    assert order.unapplied_quantity == Decimal(1)
    filled_no_fills_yet = order.transition(S.FILLED, NOW)
    assert filled_no_fills_yet.unapplied_quantity == Decimal(1)
    canceled = order.transition(S.CANCELED, NOW)
    assert canceled.unapplied_quantity == 0
    from dataclasses import replace

    partial_then_canceled = replace(canceled, venue_filled_quantity=Decimal("0.4"))
    assert partial_then_canceled.unapplied_quantity == Decimal("0.4")
    applied = replace(partial_then_canceled, filled_quantity=Decimal("0.4"))
    assert applied.unapplied_quantity == 0
