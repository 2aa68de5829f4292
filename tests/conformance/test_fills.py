"""Fill behaviour every ExecutionEngine must show: streamed once, balances move, streams recover."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from src.core.execution import OrderStatus, utc_now
from tests.conformance.venue import FillCollector, Venue
from tests.support.waiting import eventually


async def _filled_buy(venue: Venue) -> tuple[str, Decimal]:
    order = venue.control.marketable_buy()
    [ack] = await venue.engine.submit_orders([order])
    assert ack.order_id is not None, f"{venue.name}: marketable buy not placed: {ack}"
    done = await eventually(
        lambda: venue.engine.find_order(order.client_order_id),
        "the marketable buy to fill",
        ok=lambda o: o is not None and o.status is OrderStatus.FILLED,
    )
    assert done is not None
    return done.order_id, done.filled_quantity


async def _stream_live(venue: Venue, collector: FillCollector) -> None:
    """Return once ``stream_fills()`` delivers: fill slivers of a probe order until one shows.

    A stream reports fills from when it is live; the probe keeps the tests below from racing
    the connection handshake.
    """
    order = venue.control.resting_buy()
    [ack] = await venue.engine.submit_orders([order])
    assert ack.order_id is not None and order.quantity is not None
    sliver = order.quantity / 10
    for _ in range(9):
        await venue.control.fill_partially(ack.order_id, sliver)
        try:
            await collector.wait_quantity(ack.order_id, sliver, 0.5)
        except AssertionError:
            continue
        # Out of the way, so the venue cannot match later test fills against the probe.
        await venue.engine.cancel_order(ack.order_id)
        return
    raise AssertionError(f"{venue.name}: stream_fills() never delivered a fill")


async def _resting(venue: Venue) -> tuple[str, str, Decimal]:
    order = venue.control.resting_buy()
    [ack] = await venue.engine.submit_orders([order])
    assert ack.order_id is not None and order.quantity is not None
    return order.client_order_id, ack.order_id, order.quantity


async def test_fills_are_streamed_exactly_once(venue: Venue) -> None:
    collector = FillCollector(venue.engine)
    collector.start()
    try:
        await _stream_live(venue, collector)
        cloid, resting, quantity = await _resting(venue)
        await venue.control.fill_partially(resting, quantity / 4)
        await venue.control.fill_partially(resting, quantity / 4)
        order_id, qty = await _filled_buy(venue)
        await collector.wait_quantity(resting, quantity / 2, venue.control.fill_timeout)
        await collector.wait_quantity(order_id, qty, venue.control.fill_timeout)
        state = await venue.engine.find_order(cloid)
        assert state is not None
        streamed = sum(f.quantity for f in collector.for_order(resting))
        assert streamed == state.filled_quantity == quantity / 2
        assert sum(f.quantity for f in collector.for_order(order_id)) == qty
        ids = [f.fill_id for f in collector.fills]
        assert len(ids) == len(set(ids)), f"{venue.name}: a fill was streamed twice: {ids}"
    finally:
        await collector.stop()


async def test_balances_and_positions_after_a_fill(venue: Venue) -> None:
    control = venue.control
    before = await venue.engine.get_account()
    since = utc_now() - timedelta(seconds=5)
    order_id, qty = await _filled_buy(venue)
    after = await venue.engine.get_account()
    fills = [f for f in await venue.engine.get_fills(since) if f.order_id == order_id]
    assert sum(f.quantity for f in fills) == qty
    base_fee = sum(f.fee for f in fills if f.fee_currency == control.base_asset)
    quote_fee = sum(f.fee for f in fills if f.fee_currency != control.base_asset)
    if getattr(control, "margined", False):  # futures: a buy opens a position; cash pays fees
        assert before[control.quote_asset] - after[control.quote_asset] == quote_fee
        [position] = [p for p in await venue.engine.get_positions() if p.symbol == control.symbol]
        assert position.quantity == qty
        return
    base_before = before[control.base_asset] if control.base_asset in before else Decimal(0)
    assert after[control.base_asset] - base_before == qty - base_fee
    spent = sum(f.quantity * f.price for f in fills) + quote_fee
    assert before[control.quote_asset] - after[control.quote_asset] == spent
    if control.reports_positions:
        [position] = [p for p in await venue.engine.get_positions() if p.symbol == control.symbol]
        assert position.quantity == qty


async def test_dropped_stream_recovers_without_loss_or_duplicates(venue: Venue) -> None:
    collector = FillCollector(venue.engine)
    collector.start()
    try:
        await _stream_live(venue, collector)
        _, resting, quantity = await _resting(venue)
        sliver = quantity / 10
        await venue.control.fill_partially(resting, sliver)
        await collector.wait_quantity(resting, sliver, venue.control.fill_timeout)
        await venue.control.drop_stream()
        await venue.control.fill_partially(resting, sliver)  # while the stream is down
        await collector.wait_quantity(resting, 2 * sliver, venue.control.fill_timeout)
        await venue.control.fill_partially(resting, sliver)
        fills = await collector.wait_quantity(resting, 3 * sliver, venue.control.fill_timeout)
        assert sum(f.quantity for f in fills) == 3 * sliver
        ids = [f.fill_id for f in fills]
        assert len(ids) == len(set(ids)), f"{venue.name}: duplicate fills after reconnect: {ids}"
    finally:
        await collector.stop()
