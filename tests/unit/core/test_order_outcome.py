"""The one lost-reply policy: found by client order id, else UNKNOWN until the grace is over."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.core.clock import ManualClock
from src.core.errors import NetworkError, ServiceUnavailableError
from src.core.execution import Order, OrderStatus, OrderType, OrderUpdate, Side
from src.core.order_outcome import LostReplyPolicy, OutcomeResolver

LOST = NetworkError("AddOrder timed out", endpoint="AddOrder", outcome_known=False)


def _found(cloid: str) -> OrderUpdate:
    return OrderUpdate(
        order_id="OID-1",
        client_order_id=cloid,
        symbol="BTC/USD",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        status=OrderStatus.FILLED,
        quantity=Decimal("1"),
        filled_quantity=Decimal("1"),
    )


def test_policy_never_rejects_inside_the_grace_period_or_after_an_ack() -> None:
    policy = LostReplyPolicy(grace_seconds=30)
    sent = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.after_miss(sent_at=sent, now=sent, acknowledged=False) is OrderStatus.UNKNOWN
    late = sent + timedelta(seconds=31)
    assert policy.after_miss(sent_at=sent, now=late, acknowledged=False) is OrderStatus.REJECTED
    assert policy.after_miss(sent_at=sent, now=late, acknowledged=True) is OrderStatus.UNKNOWN


async def test_a_miss_then_a_hit_resolves_with_backoff_between_lookups() -> None:
    clock = ManualClock()
    answers: list[OrderUpdate | None] = [None, None, _found("c1")]
    asked: list[float] = []

    async def find(cloid: str) -> OrderUpdate | None:
        asked.append(clock.monotonic())
        return answers.pop(0)

    resolution = await OutcomeResolver(find, clock).resolve("c1", LOST)
    assert resolution.status is OrderStatus.FILLED and resolution.found is not None
    assert [round(b - a, 3) for a, b in itertools.pairwise(asked)] == [0.25, 0.5]


async def test_misses_and_failed_lookups_stay_unknown_with_advice() -> None:
    calls = 0

    async def find(cloid: str) -> OrderUpdate | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ServiceUnavailableError("EService:Unavailable", endpoint="OpenOrders")
        return None

    resolver = OutcomeResolver(find, ManualClock(), LostReplyPolicy(lookups=4))
    resolution = await resolver.resolve("c1", LOST)
    assert calls == 4 and resolution.found is None
    assert resolution.status is OrderStatus.UNKNOWN and "Do not re-send" in resolution.message
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity=1, client_order_id="c1")
    ack = resolution.ack(order, "BTC/USD")
    assert ack.status is OrderStatus.UNKNOWN and ack.order_id is None and ack.message


async def test_the_stream_is_asked_first_and_saves_the_round_trip() -> None:
    async def find(cloid: str) -> OrderUpdate | None:
        pytest.fail("REST lookup made although the stream had seen the order")

    resolver = OutcomeResolver(find, ManualClock(), seen=_found)
    assert (await resolver.resolve("c1", LOST)).status is OrderStatus.FILLED
