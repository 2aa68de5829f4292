"""The adapter against the simulator on what Alpaca really sends: offsets and nanoseconds, every
order status, more than 500 orders, open notional orders, and a batch with a refusal in it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.brokers.alpaca.orders import AlpacaOrderUpdate
from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.clock import ManualClock
from src.core.execution import Order, OrderStatus, OrderType, Side, TimeInForce
from src.venues.alpaca_sim import AlpacaSim
from tests.integration.alpaca.test_stream import _next
from tests.support.waiting import eventually


@pytest.fixture
async def new_york() -> AsyncIterator[tuple[AlpacaSim, AlpacaAdapter]]:
    """A simulator writing every timestamp in New York time, and an adapter on it."""
    async with (
        AlpacaSim(time_zone="America/New_York") as sim,
        AlpacaAdapter(
            api_key=sim.api_key,
            api_secret=sim.api_secret,
            base_url=sim.base_url,
            clock=ManualClock(),
        ) as adapter,
    ):
        yield sim, adapter


def _resting(**kwargs: object) -> Order:
    return Order(
        symbol="AAPL",
        side=Side.BUY,
        quantity=kwargs.pop("quantity", 1),
        order_type=OrderType.LIMIT,
        limit_price=kwargs.pop("limit_price", 150),
        **kwargs,
    )


async def test_new_york_offsets_and_nanoseconds_land_as_the_same_utc_instant(
    new_york: tuple[AlpacaSim, AlpacaAdapter],
) -> None:
    sim, adapter = new_york
    [ack] = await adapter.submit_orders([_resting()])
    assert ack.order_id is not None
    written = str(ack.raw["created_at"])
    assert written[-6:] in ("-05:00", "-04:00") and len(written.split(".")[1]) == 9 + 6
    kept = sim.state.orders[ack.order_id]
    update = await adapter.get_order(ack.order_id)
    assert update.created_at == kept.created_at  # the simulator's instant, to the microsecond
    assert update.created_at is not None and update.created_at.tzinfo is UTC
    stream = adapter.stream_fills()
    first = asyncio.ensure_future(_next(stream))
    await eventually(lambda: sim.listening_streams == 1, "stream to listen")
    sim.fill(ack.order_id, 1)
    fill = await first
    assert fill.timestamp == kept.filled_at
    [activity] = await adapter.get_fills(since=kept.created_at - timedelta(seconds=1))
    assert activity.timestamp == kept.filled_at
    await stream.aclose()  # type: ignore[attr-defined]
    clock = await adapter.get_clock()
    assert str(clock["timestamp"])[-6:] in ("-05:00", "-04:00")  # Alpaca's clock is New York's


@pytest.mark.parametrize(
    ("wire", "core"),
    [
        ("pending_review", OrderStatus.PENDING),
        ("held", OrderStatus.PENDING),
        ("calculated", OrderStatus.OPEN),
        ("accepted_for_bidding", OrderStatus.PENDING),
        ("stopped", OrderStatus.OPEN),
        ("suspended", OrderStatus.OPEN),
        ("done_for_day", OrderStatus.OPEN),
        ("pending_replace", OrderStatus.OPEN),
        ("a_state_alpaca_adds_next_year", OrderStatus.UNKNOWN),
    ],
)
async def test_rare_and_unknown_statuses_do_not_fail_get_orders(
    adapter: AlpacaAdapter, sim: AlpacaSim, wire: str, core: OrderStatus
) -> None:
    acks = await adapter.submit_orders([_resting(), _resting(limit_price=140)])
    assert acks[0].order_id is not None
    sim.set_status(acks[0].order_id, wire)
    listed = {o.order_id: o.status for o in await adapter.get_orders("all")}
    assert listed == {acks[0].order_id: core, acks[1].order_id: OrderStatus.OPEN}


async def test_get_orders_pages_past_500_with_ties() -> None:
    rich = AlpacaSim(cash=10_000_000)
    async with (
        rich,
        AlpacaAdapter(
            api_key=rich.api_key, api_secret=rich.api_secret, base_url=rich.base_url
        ) as adapter,
    ):
        start = datetime.now(UTC)
        for n in range(1203):
            order = rich.state.submit(
                {"symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "day"}
                | {"qty": "1", "limit_price": "150", "client_order_id": f"c{n}"}
            )
            order.created_at = start + timedelta(microseconds=n // 3)  # three per microsecond
        listed = await adapter.get_orders("open")
        assert len(listed) == 1203
        assert {o.client_order_id for o in listed} == {f"c{n}" for n in range(1203)}
        assert listed[0].client_order_id in ("c1200", "c1201", "c1202")  # newest first


async def test_open_notional_order_reports_filled_qty_and_notional(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    order = Order(
        symbol="BTC/USD",
        side=Side.BUY,
        notional="600",
        order_type=OrderType.LIMIT,
        limit_price=50000,  # the market is at 60000: it rests
    )
    [ack] = await adapter.submit_orders([order])
    assert ack.status is OrderStatus.OPEN and ack.raw["qty"] is None
    [resting] = await adapter.get_orders("open")
    assert isinstance(resting, AlpacaOrderUpdate)
    assert resting.notional == Decimal("600") and resting.quantity == 0
    assert ack.order_id is not None
    sim.fill(ack.order_id, "0.005")  # $250 of the $600, at the limit
    [part] = await adapter.get_orders("open")
    assert isinstance(part, AlpacaOrderUpdate)
    assert part.status is OrderStatus.PARTIALLY_FILLED
    assert part.filled_quantity == Decimal("0.005") == part.quantity
    assert part.notional == Decimal("600")
    sim.set_price("BTC/USD", "50000")
    done = await adapter.get_order(ack.order_id)
    assert done.status is OrderStatus.FILLED and done.filled_quantity == Decimal("0.012")


async def test_batch_keeps_placed_acks_reports_the_refusal_and_goes_on(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    orders = [
        _resting(),
        Order(symbol="AAPL", side=Side.BUY, quantity=1_000_000),  # Alpaca: buying power
        Order(symbol="AAPL", side=Side.BUY, quantity="0.5", time_in_force=TimeInForce.GTC),
        Order(symbol="NOPE", side=Side.BUY, quantity=1),  # unknown symbol
        _resting(limit_price=140),
    ]
    acks = await adapter.submit_orders(orders)
    assert [a.status for a in acks] == [
        OrderStatus.OPEN,
        OrderStatus.REJECTED,
        OrderStatus.REJECTED,
        OrderStatus.REJECTED,
        OrderStatus.OPEN,
    ]
    assert "insufficient buying power" in (acks[1].message or "")
    assert acks[1].raw["refused_locally"] is False and acks[2].raw["refused_locally"] is True
    assert {o.client_order_id for o in sim.state.orders.values()} == {
        orders[0].client_order_id,
        orders[4].client_order_id,
    }
    assert {o.order_id for o in await adapter.get_orders("open")} == {
        acks[0].order_id,
        acks[4].order_id,
    }
