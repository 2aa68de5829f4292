"""Order behaviour every ExecutionEngine must show: place, query, cancel, fills and failures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.core.errors import (
    MalformedResponseError,
    OrderRejectedError,
    UnknownOrderError,
)
from src.core.execution import OrderAck, OrderStatus, OrderUpdate
from tests.conformance.venue import Venue
from tests.support.waiting import eventually

LIVE = (OrderStatus.OPEN, OrderStatus.PENDING)


async def _place_resting(
    venue: Venue, quantity: Decimal | None = None
) -> tuple[OrderAck, OrderUpdate]:
    order = venue.control.resting_buy(quantity)
    [ack] = await venue.engine.submit_orders([order])
    assert ack.accepted, f"{venue.name}: resting order refused: {ack.message}"
    assert ack.client_order_id == order.client_order_id
    found = await eventually(
        lambda: venue.engine.find_order(order.client_order_id),
        "the resting order to be live",
        ok=lambda o: o is not None and o.status in LIVE,
    )
    assert found is not None
    return ack, found


async def test_place_and_query(venue: Venue) -> None:
    ack, found = await _place_resting(venue)
    assert ack.order_id == found.order_id
    assert found.symbol == venue.control.symbol
    assert found.quantity == venue.control.resting_buy().quantity
    assert found.filled_quantity == 0
    open_ids = [o.order_id for o in await venue.engine.get_orders("open")]
    assert found.order_id in open_ids


async def test_cancel(venue: Venue) -> None:
    _, found = await _place_resting(venue)
    await venue.engine.cancel_order(found.order_id)
    cancelled = await eventually(
        lambda: venue.engine.find_order(found.client_order_id or ""),
        "the order to be canceled",
        ok=lambda o: o is not None and o.status is OrderStatus.CANCELED,
    )
    assert cancelled is not None and cancelled.status.is_final
    assert found.order_id not in [o.order_id for o in await venue.engine.get_orders("open")]
    with pytest.raises(UnknownOrderError):
        await venue.engine.cancel_order(found.order_id)


async def test_cancel_all(venue: Venue) -> None:
    first, _ = await _place_resting(venue)
    second, _ = await _place_resting(venue)
    assert await venue.engine.cancel_all() >= 2
    remaining = await eventually(
        lambda: venue.engine.get_orders("open"), "no open orders", ok=lambda orders: not orders
    )
    assert remaining == []
    for ack in (first, second):
        order = await venue.engine.find_order(ack.client_order_id)
        assert order is not None and order.status is OrderStatus.CANCELED


async def test_partial_fill(venue: Venue) -> None:
    _, found = await _place_resting(venue)
    half = found.quantity / 2
    await venue.control.fill_partially(found.order_id, half)
    partial = await eventually(
        lambda: venue.engine.find_order(found.client_order_id or ""),
        "a partial fill",
        ok=lambda o: o is not None and o.filled_quantity > 0,
    )
    assert partial is not None
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert partial.filled_quantity == half
    assert partial.remaining_quantity == found.quantity - half
    assert partial.order_id in [o.order_id for o in await venue.engine.get_orders("open")]


async def test_rejected_order_places_nothing(venue: Venue) -> None:
    order = venue.control.oversized_buy()
    try:
        [ack] = await venue.engine.submit_orders([order])
    except OrderRejectedError:
        pass
    else:
        assert ack.status is OrderStatus.REJECTED, f"{venue.name}: expected a rejection, got {ack}"
        assert ack.message, "a rejection must say why"
    found = await venue.engine.find_order(order.client_order_id)
    assert found is None or found.status is OrderStatus.REJECTED
    assert await venue.engine.get_orders("open") == []


async def test_unknown_outcome_is_resolved_by_client_order_id(venue: Venue) -> None:
    await venue.control.lose_next_submit_reply()
    order = venue.control.resting_buy()
    [ack] = await venue.engine.submit_orders([order])
    assert ack.status in LIVE, f"{venue.name}: lost reply not resolved: {ack}"
    assert ack.order_id is not None
    same = [
        o
        for o in await venue.engine.get_orders("open")
        if o.client_order_id == order.client_order_id
    ]
    assert len(same) == 1, f"{venue.name}: the order must exist exactly once, found {len(same)}"


async def test_malformed_reply_is_a_clear_error_and_does_no_harm(venue: Venue) -> None:
    before = await venue.engine.get_account()
    await venue.control.malform_next_account_reply()
    outcome: object
    try:
        outcome = await venue.engine.get_account()
    except MalformedResponseError as exc:  # any other error fails the test as it should
        outcome = exc
    if isinstance(outcome, MalformedResponseError):
        assert outcome.retryable, "a malformed reply is worth asking again"
    else:  # an adapter may retry a read transparently; then the answer must be right
        assert outcome == before
    assert dict(await venue.engine.get_account()) == dict(before)
