"""The order manager's reconciliation pass: live orders resolved, missed fills, orphans.

Kept apart from ``OrderManager`` (which it drives through its public and package-internal
methods) so that each module stays one job: the manager applies what it is told, this pass
asks the venue what to tell it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

import structlog

from src.core.clock import Clock
from src.core.execution import ExecutionEngine, OrderStatus, OrderUpdate
from src.core.order_outcome import LostReplyPolicy
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.reconcile_report import ReconcileReport

__all__ = ["reconcile_orders"]


class OrderManager(Protocol):
    """What the pass uses of ``src.core.order_manager.OrderManager`` (no import cycle)."""

    engine: ExecutionEngine
    store: OrderStore
    clock: Clock
    lost_reply: LostReplyPolicy
    cancel_orphans: bool

    @property
    def live(self) -> Mapping[str, ManagedOrder]: ...

    def apply_update(self, update: OrderUpdate) -> ManagedOrder | None: ...

    def _lookup(self, client_order_id: str | None, order_id: str | None) -> ManagedOrder | None: ...

    def _move(
        self, order: ManagedOrder, status: OrderStatus, reason: str | None = None
    ) -> ManagedOrder: ...

    async def sync_fills(self) -> tuple[int, int]: ...

    async def sync_owed_fills(self) -> tuple[int, int]: ...


log = structlog.get_logger("src.core.order_manager")
S = OrderStatus


async def reconcile_orders(oms: OrderManager) -> ReconcileReport:
    """Resolve every live order with the venue, apply missed fills, report orphans."""
    report = ReconcileReport()
    open_orders = await oms.engine.get_orders("open")
    by_cloid = {o.client_order_id: o for o in open_orders if o.client_order_id}
    for order in list(oms.live.values()):
        update = by_cloid.get(order.client_order_id)
        if update is None:
            update = await oms.engine.find_order(order.client_order_id)
        if update is not None:
            oms.apply_update(update)
            report.resolved.append(order.client_order_id)
            continue
        # A stream may have settled it while we asked: judge what is known now.
        current = oms._lookup(order.client_order_id, None) or order
        if current.is_live:
            _not_found(oms, current, report)
    report.new_fills, report.foreign_fills = await oms.sync_fills()
    # Only an order the venue says filled beyond what we applied (a fill published late,
    # or found while we were down) widens the window, and only back to that order.
    deep_new, deep_foreign = await oms.sync_owed_fills()
    report.new_fills += deep_new
    report.foreign_fills += deep_foreign
    for update in open_orders:
        cloid = update.client_order_id
        if (cloid and oms.store.get_order(cloid)) or oms.store.find_by_order_id(update.order_id):
            continue
        report.orphans.append(update)
        log.warning("oms.orphan", order_id=update.order_id, symbol=update.symbol)
        if oms.cancel_orphans:
            await oms.engine.cancel_order(update.order_id)
            report.canceled_orphans += 1
    return report


def _not_found(oms: OrderManager, order: ManagedOrder, report: ReconcileReport) -> None:
    if order.status is S.NEW:  # stored but the process died before sending it
        oms._move(order, S.CANCELED, "never sent")
        report.resolved.append(order.client_order_id)
        return
    acked = order.order_id is not None
    now = oms.clock.now()
    status = oms.lost_reply.after_miss(sent_at=order.created_at, now=now, acknowledged=acked)
    grace_over = now - order.created_at >= timedelta(seconds=oms.lost_reply.grace_seconds)
    if status is S.REJECTED:
        # Never acknowledged and still unknown to the venue after the grace period: the
        # request did not arrive. (The venue's lag is what the grace period covers.)
        oms._move(order, S.REJECTED, "not found at the venue")
        report.resolved.append(order.client_order_id)
        return
    # Acknowledged once but now missing, or still inside the grace period: never guess.
    # The pair stays blocked (unresolved_symbols) and the order is reported every pass.
    if order.status is not S.UNKNOWN:
        oms._move(order, S.UNKNOWN, "not found at the venue")
    report.still_unknown.append(order.client_order_id)
    if grace_over:
        log.error("oms.order_missing", cloid=order.client_order_id, order_id=order.order_id)
