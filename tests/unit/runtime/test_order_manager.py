"""The order manager against the in-memory venue: store-before-send, lost answers, fills once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import structlog.testing

from src.core.clock import ManualClock
from src.core.errors import NetworkError, OrderOutcomeUnknownError
from src.core.execution import Order, OrderStatus, OrderType, Side
from src.core.order_manager import OrderManager
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio
from src.core.sizing import OrderIntent
from src.venues.sim_engine import SimEngine

D = Decimal
S = OrderStatus


def _buy(qty: str = "0.001", **kw: object) -> OrderIntent:
    return OrderIntent("BTC/USD", Side.BUY, D(qty), D(40000), **kw)  # type: ignore[arg-type]


def _oms(engine: SimEngine, store: OrderStore, clock: ManualClock) -> OrderManager:
    portfolio = Portfolio(store.positions(), {"USD": D(10_000), "BTC": D("0.5"), "ETH": D(5)})
    return OrderManager(engine, store, portfolio, clock, unknown_grace_seconds=30)


@pytest.fixture
def store(tmp_path: Path) -> OrderStore:
    return OrderStore(tmp_path / "oms.sqlite")


async def test_order_is_stored_pending_before_it_is_sent(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    seen: list[S | None] = []
    real_submit = engine.submit_orders

    async def spy(orders: list[Order]) -> object:
        row = store.get_order(orders[0].client_order_id)
        seen.append(row.status if row else None)
        return await real_submit(orders)

    engine.submit_orders = spy  # type: ignore[method-assign,assignment]
    order = await _oms(engine, store, clock).submit(_buy())
    assert seen == [S.PENDING]
    assert order.status is S.FILLED
    assert store.order_events(order.client_order_id) == ["new", "pending", "filled"]


async def test_each_fill_applies_exactly_once(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    oms = _oms(engine, store, clock)
    await oms.submit(_buy())
    assert await oms.sync_fills() == (1, 0)
    assert await oms.sync_fills() == (0, 0)
    assert oms.apply_fill(engine.fills[0]) is False
    assert oms.portfolio.position("BTC/USD").quantity == D("0.001")
    assert len(store.fills()) == 1
    assert oms.pending_quantities() == {}


async def test_filled_order_without_its_fill_still_counts_as_pending(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    oms = _oms(engine, store, clock)
    order = await oms.submit(_buy())
    assert order.status is S.FILLED
    assert oms.pending_quantities() == {"BTC/USD": D("0.001")}  # fill not applied yet


async def test_venue_refusal_ends_rejected(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    order = await _oms(engine, store, clock).submit(_buy("1"))  # 40000 USD > 10000 USD
    assert order.status is S.REJECTED
    assert "insufficient USD" in (order.reason or "")
    assert engine.orders == {}


async def test_lost_answer_is_resolved_by_client_order_id_not_resent(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    oms = _oms(engine, store, clock)
    engine.fail_next_submit = OrderOutcomeUnknownError("timeout after send", client_order_id="any")
    engine.fail_after_accept = True
    order = await oms.submit(_buy())
    assert order.status is S.UNKNOWN
    assert oms.unresolved_symbols() == {"BTC/USD"}
    report = await oms.reconcile()
    assert report.resolved == [order.client_order_id]
    resolved = store.get_order(order.client_order_id)
    assert resolved is not None and resolved.status is S.FILLED
    assert resolved.filled_quantity == D("0.001")
    assert len(engine.submitted) == 1  # asked, never re-sent
    assert oms.unresolved_symbols() == set()


async def test_request_that_never_arrived_is_rejected_after_grace(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    oms = _oms(engine, store, clock)
    engine.fail_next_submit = NetworkError("connection reset", outcome_known=False)
    order = await oms.submit(_buy())
    assert order.status is S.UNKNOWN
    report = await oms.reconcile()
    assert report.still_unknown == [order.client_order_id]  # venue may lag: wait
    clock.advance(31)
    report = await oms.reconcile()
    final = store.get_order(order.client_order_id)
    assert final is not None and final.status is S.REJECTED
    assert final.reason == "not found at the venue"
    assert oms.pending_quantities() == {}


async def test_restart_after_crash_before_send_cancels_the_unsent_order(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    now = clock.now()
    store.save_order(
        ManagedOrder("crash-1", "BTC/USD", Side.BUY, OrderType.MARKET, D("0.001"), S.NEW, now, now)
    )
    oms = _oms(engine, store, clock)
    await oms.reconcile()
    final = store.get_order("crash-1")
    assert final is not None and (final.status, final.reason) == (S.CANCELED, "never sent")
    assert engine.submitted == []


async def test_restart_recovers_positions_and_does_not_double_apply(
    engine: SimEngine, tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "oms.sqlite"
    first = _oms(engine, OrderStore(path), clock)
    await first.submit(_buy())
    await first.submit(_buy("0.002"))
    await first.sync_fills()
    first.store.close()
    second = _oms(engine, OrderStore(path), clock)
    report = await second.reconcile()
    assert report.new_fills == 0
    assert second.portfolio.position("BTC/USD").quantity == D("0.003")
    assert len(second.store.fills()) == 2


async def test_orphan_venue_order_is_reported_and_optionally_canceled(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    await engine.submit_orders(
        [Order(symbol="BTC/USD", side=Side.BUY, quantity=D("0.001"),
               order_type=OrderType.LIMIT, limit_price=D(30000))]
    )  # fmt: skip
    oms = _oms(engine, store, clock)
    report = await oms.reconcile()
    assert [o.symbol for o in report.orphans] == ["BTC/USD"]
    assert report.canceled_orphans == 0
    oms.cancel_orphans = True
    report = await oms.reconcile()
    assert report.canceled_orphans == 1
    assert await engine.get_orders("open") == []


async def test_resting_limit_order_then_fill_then_cancel_open(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    oms = _oms(engine, store, clock)
    resting = await oms.submit(_buy(order_type=OrderType.LIMIT, limit_price=D(39000)))
    other = await oms.submit(_buy(order_type=OrderType.LIMIT, limit_price=D(38000)))
    assert (resting.status, other.status) == (S.OPEN, S.OPEN)
    assert oms.pending_quantities() == {"BTC/USD": D("0.002")}
    engine.set_price("BTC/USD", D(38900))
    await oms.reconcile()
    filled = store.get_order(resting.client_order_id)
    assert filled is not None and filled.status is S.FILLED and filled.average_price == D(39000)
    assert await oms.cancel_open() == 1
    await oms.reconcile()
    canceled = store.get_order(other.client_order_id)
    assert canceled is not None and canceled.status is S.CANCELED
    assert oms.live == {}


async def test_acknowledged_order_that_vanishes_stays_unknown_and_blocks_the_pair(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    oms = _oms(engine, store, clock)
    order = await oms.submit(_buy(order_type=OrderType.LIMIT, limit_price=D(30000)))
    assert order.status is S.OPEN
    engine.orders.clear()  # the venue forgets it (it must never be guessed away)
    engine.by_client_id.clear()
    clock.advance(3600)
    for _ in range(2):
        report = await oms.reconcile()
        assert report.still_unknown == [order.client_order_id]
    final = store.get_order(order.client_order_id)
    assert final is not None and final.status is S.UNKNOWN
    assert oms.unresolved_symbols() == {"BTC/USD"}


async def test_fill_for_an_order_declared_rejected_is_still_applied(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    oms = _oms(engine, store, clock)
    engine.fail_next_submit = NetworkError("reset", outcome_known=False)
    engine.fail_after_accept = True
    order = await oms.submit(_buy())
    engine.by_client_id.clear()  # the venue's lookup lags behind its trade history
    clock.advance(31)
    report = await oms.reconcile()  # declared not found; the trade history has its fill
    rejected = store.get_order(order.client_order_id)
    assert rejected is not None and rejected.status is S.REJECTED
    assert report.new_fills == 1
    assert rejected.filled_quantity == D("0.001")
    assert oms.apply_fill(engine.fills[0]) is False
    assert oms.portfolio.position("BTC/USD").quantity == D("0.001")
    assert len(store.fills()) == 1


async def test_every_order_move_is_logged_with_what_was_sent(
    engine: SimEngine, store: OrderStore, clock: ManualClock
) -> None:
    with structlog.testing.capture_logs() as logs:
        order = await _oms(engine, store, clock).submit(_buy())
    moves = [e for e in logs if e["event"] == "oms.order"]
    assert [(e["was"], e["now"]) for e in moves] == [(S.NEW, S.PENDING), (S.PENDING, S.FILLED)]
    first = moves[0]
    assert first["cloid"] == order.client_order_id and first["symbol"] == "BTC/USD"
    assert first["side"] is Side.BUY and first["quantity"] == "0.001"
