"""The open-order registry holds what is open, nothing else, and stays bounded."""

from __future__ import annotations

from decimal import Decimal

from src.brokers.kraken.orders.registry import OpenOrderRegistry
from src.core.clock import ManualClock
from src.core.execution import OrderStatus, OrderType, OrderUpdate, Side


def _update(order_id: str, status: OrderStatus, cloid: str | None = None) -> OrderUpdate:
    return OrderUpdate(
        order_id=order_id,
        client_order_id=cloid,
        symbol="BTC/USD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        status=status,
        quantity=Decimal("1"),
        filled_quantity=Decimal("0"),
    )


def test_ack_opens_final_report_closes_and_cloid_stays_known() -> None:
    registry = OpenOrderRegistry(ManualClock())
    registry.open("O1", "XBTUSD", "BTC/USD", "buy", "c1")
    assert registry.count("XBTUSD") == 1 and registry.by_client_id("c1") is not None
    registry.apply(_update("O1", OrderStatus.FILLED), None)
    assert registry.count("XBTUSD") == 0 and registry.by_client_id("c1") is None
    assert registry.client_id_of("O1") == "c1"  # a late fill still maps to its cl_ord_id


def test_a_fill_report_that_overtakes_the_ack_does_not_leave_the_order_open() -> None:
    registry = OpenOrderRegistry(ManualClock())
    registry.close("O1")  # WS executions: filled, before the add_order reply came back
    registry.open("O1", "XBTUSD", "BTC/USD", "buy", "c1")
    assert registry.count("XBTUSD") == 0


def test_reconcile_prunes_what_the_venue_no_longer_lists_but_keeps_newer_acks() -> None:
    clock = ManualClock()
    registry = OpenOrderRegistry(clock)
    registry.open("OLD", "XBTUSD", "BTC/USD", "buy", None)
    registry.open("KEPT", "XBTUSD", "BTC/USD", "buy", None)
    clock.advance(1)
    since = clock.monotonic()  # the OpenOrders request goes out here
    clock.advance(0.1)
    registry.open("NEW", "XBTUSD", "BTC/USD", "buy", None)  # acked while it was in flight
    pruned = registry.reconcile(
        [
            (_update("KEPT", OrderStatus.OPEN), "XBTUSD"),
            (_update("ELSEWHERE", OrderStatus.OPEN), "ETHUSD"),
        ],
        since,
    )
    assert pruned == 1
    assert {o.order_id for o in registry.orders()} == {"KEPT", "NEW", "ELSEWHERE"}
    assert registry.count("ETHUSD") == 1  # an order placed elsewhere counts too


def test_reconcile_is_due_only_when_orders_are_held_and_time_has_passed() -> None:
    clock = ManualClock()
    registry = OpenOrderRegistry(clock)
    clock.advance(120)
    assert not registry.reconcile_due(60)  # nothing held: nothing to prune
    registry.open("O1", "XBTUSD", "BTC/USD", "buy", None)
    assert registry.reconcile_due(60)
    clock.advance(1)
    registry.reconcile([], clock.monotonic())
    assert not registry.reconcile_due(60) and len(registry) == 0


def test_a_run_of_days_stays_bounded() -> None:
    registry = OpenOrderRegistry(ManualClock())
    for i in range(50_000):
        registry.open(f"O{i}", "XBTUSD", "BTC/USD", "buy", f"c{i}")
        registry.close(f"O{i}")
    assert len(registry) == 0
    assert len(registry._closed) <= 5_000 and not registry._by_cloid
