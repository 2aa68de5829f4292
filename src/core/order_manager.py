"""Order management: store before send, apply venue reports and fills once, reconcile on start.

The rules that keep a crash harmless:

* an order is written (NEW, then PENDING) before it is sent, and is never re-sent;
* an answer that got lost (UNKNOWN) is resolved by asking the venue by client order id;
* a fill is stored with the position it changes in one transaction, keyed by ``fill_id``;
* reconciliation (at start and periodically) resolves every live order, pulls the venue's
  recent fills, and reports venue orders that the database does not know (orphans).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import ExecutionEngine, Fill, Order, OrderStatus, OrderUpdate
from src.core.order_outcome import LostReplyPolicy
from src.core.order_reconcile import reconcile_orders
from src.core.order_state import ManagedOrder, can_transition
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio
from src.core.reconcile_report import ReconcileReport as ReconcileReport
from src.core.sizing import OrderIntent

log = structlog.get_logger(__name__)
S = OrderStatus
#: How far a fill window reaches back before an order's creation (venue vs local clock skew).
LOOKBACK = timedelta(minutes=10)
#: Most fills a routine fetch re-reads before the newest one seen (bounds the overlap).
RECENT_FILLS = 20


class OrderManager:
    """Tracks every order the bot sends, through the ``ExecutionEngine`` only.

    Args:
        engine: the venue.
        store: persistence (orders, fills, positions).
        portfolio: the book that applied fills update.
        clock: timestamps and the unknown-order grace period.
        unknown_grace_seconds: how long an order the venue does not know may stay UNKNOWN before
            it is declared never accepted (covers the venue's own lag after a lost response).
        cancel_orphans: cancel open venue orders the database does not know (off by default:
            they may be the user's own manual orders).
        fill_overlap_seconds: each fill fetch starts this long before the newest fill already
            seen (but never more than ``RECENT_FILLS`` fills back), in case the venue publishes
            a fill a moment after a newer one; fills fetched twice are de-duplicated by id.
    """

    def __init__(
        self,
        engine: ExecutionEngine,
        store: OrderStore,
        portfolio: Portfolio,
        clock: Clock,
        *,
        unknown_grace_seconds: float = 30.0,
        cancel_orphans: bool = False,
        fill_overlap_seconds: float = 2.0,
    ) -> None:
        self.engine, self.store, self.portfolio, self.clock = engine, store, portfolio, clock
        #: The one lost-reply policy (src.core.order_outcome), shared with the adapters.
        self.lost_reply = LostReplyPolicy(grace_seconds=unknown_grace_seconds)
        self.cancel_orphans = cancel_orphans
        self.fill_overlap = timedelta(seconds=fill_overlap_seconds)
        #: Orders that may still trade or whose fills are not all applied yet (in memory, so
        #: the per-candle path never scans the order history).
        self.active: dict[str, ManagedOrder] = {}
        for order in store.unsettled_orders():
            self._track(order)
        self.counts: Counter[str] = Counter()
        #: Newest venue fill time seen (venue clock); fetches start from here, not from history.
        self.fills_seen_until: datetime | None = store.newest_fill_time()
        #: The last RECENT_FILLS fills seen: id -> (venue time, already in the database).
        self._recent_fills: dict[str, tuple[datetime, bool]] = {}
        self._foreign_seen: dict[str, datetime] = {}

    @property
    def live(self) -> dict[str, ManagedOrder]:
        """Orders that may still trade, by client order id."""
        return {k: o for k, o in self.active.items() if o.is_live}

    def _track(self, order: ManagedOrder) -> None:
        if order.is_live or order.unapplied_quantity:
            self.active[order.client_order_id] = order
        else:
            self.active.pop(order.client_order_id, None)

    def _lookup(self, client_order_id: str | None, order_id: str | None) -> ManagedOrder | None:
        """Our order by client id, else by venue id: memory first, then an index lookup."""
        if client_order_id:
            order = self.active.get(client_order_id) or self.store.get_order(client_order_id)
            if order is not None:
                return order
        return self.store.find_by_order_id(order_id) if order_id else None

    def _save(self, order: ManagedOrder) -> ManagedOrder:
        self.store.save_order(order)
        self._track(order)
        return order

    def _move(
        self, order: ManagedOrder, status: OrderStatus, reason: str | None = None
    ) -> ManagedOrder:
        # Every move is logged: submission (new -> pending), ack, rejection, unknown outcome...
        log.info("oms.order", cloid=order.client_order_id, order_id=order.order_id,
                 symbol=order.symbol, side=order.side, quantity=str(order.quantity),
                 type=order.order_type, limit=str(order.limit_price), was=order.status,
                 now=status, reason=reason)  # fmt: skip
        return self._save(order.transition(status, self.clock.now(), reason))

    def record(self, order: ManagedOrder, reason: str) -> ManagedOrder:
        """Store a change that is no status move (an amend, a cancel asked for) as an event."""
        return self._save(replace(order, updated_at=self.clock.now(), reason=reason))

    def pending_quantities(self) -> dict[str, Decimal]:
        """Signed base quantity per symbol that live or unsettled orders may still add."""
        totals: dict[str, Decimal] = {}
        for order in self.active.values():
            quantity = order.unapplied_quantity
            if quantity:
                totals[order.symbol] = totals.get(order.symbol, Decimal(0)) + quantity
        return totals

    def unresolved_symbols(self) -> set[str]:
        """Symbols with an order whose fate is unknown: no new orders there until resolved."""
        return {o.symbol for o in self.live.values() if o.status in (S.UNKNOWN, S.NEW)}

    async def submit(self, intent: OrderIntent) -> ManagedOrder:
        """Persist, then send one order; return its state after the venue's answer.

        A venue refusal ends REJECTED; a lost answer ends UNKNOWN (resolved by ``reconcile``).
        The order is never sent twice.
        """
        request = Order(
            symbol=intent.symbol,
            side=intent.side,
            quantity=intent.quantity,
            order_type=intent.order_type,
            limit_price=intent.limit_price,
            leverage=intent.leverage,
            reduce_only=intent.reduce_only,
        )
        now = self.clock.now()
        order = ManagedOrder(
            client_order_id=request.client_order_id,
            symbol=intent.symbol,
            side=intent.side,
            order_type=intent.order_type,
            quantity=intent.quantity,
            limit_price=intent.limit_price,
            reference_price=intent.reference_price,
            status=S.NEW,
            created_at=now,
            updated_at=now,
            reason=intent.reason,
        )
        self._save(order)
        order = self._move(order, S.PENDING)
        self.counts["sent"] += 1
        try:
            acks = await self.engine.submit_orders([request])
        except BrokerError as exc:
            status = S.REJECTED if exc.outcome_known else S.UNKNOWN
            self.counts[status.value] += 1
            log.warning(
                "oms.submit_failed", cloid=order.client_order_id, status=status, error=str(exc)
            )
            return self._settle(order, status, str(exc))
        except BaseException as exc:  # cancelled or unexpected: the order may be out there
            self._settle(order, S.UNKNOWN, f"interrupted: {type(exc).__name__}")
            raise
        ack = acks[0]
        return self._settle(order, ack.status, ack.message, ack.order_id)

    def _settle(
        self,
        sent: ManagedOrder,
        status: OrderStatus,
        reason: str | None,
        order_id: str | None = None,
    ) -> ManagedOrder:
        """Apply the answer to a submit on top of what is known *now*, not at send time.

        A fill stream or an order-update stream may have moved the order while the request
        was in flight (its fill can arrive before its acknowledgement); writing back the copy
        taken before sending would undo those fills.
        """
        order = self._lookup(sent.client_order_id, None) or sent
        if order_id and order.order_id is None:
            order = replace(order, order_id=order_id)
        if status is S.UNKNOWN and order.status is not sent.status:
            return self._save(order)  # a stream already told us more than a lost reply can
        if status != order.status and can_transition(order.status, status):
            return self._move(order, status, reason)
        return self._save(order)

    def apply_update(self, update: OrderUpdate) -> ManagedOrder | None:
        """Apply the venue's view of one of our orders; ignore stale or foreign reports."""
        order = self._lookup(update.client_order_id, update.order_id)
        if order is None:
            return None
        changed = replace(
            order,
            order_id=order.order_id or update.order_id,
            venue_filled_quantity=max(order.venue_filled_quantity, update.filled_quantity),
        )
        if update.status != order.status and can_transition(order.status, update.status):
            changed = changed.transition(update.status, self.clock.now(), "venue report")
        elif update.status != order.status:
            log.debug(
                "oms.stale_report",
                cloid=order.client_order_id,
                have=order.status,
                got=update.status,
            )
        return self._save(changed) if changed != order else order

    def apply_fill(self, fill: Fill) -> bool:
        """Apply one fill exactly once; return True if it was new and ours."""
        if self.store.has_fill(fill.fill_id):
            return False
        order = self._lookup(fill.client_order_id, fill.order_id)
        if order is None:
            self.counts["foreign_fills"] += 1
            log.info("oms.foreign_fill", fill_id=fill.fill_id, symbol=fill.symbol)
            return False
        filled = order.filled_quantity + fill.quantity
        updated = replace(
            order,
            order_id=order.order_id or fill.order_id,
            filled_quantity=filled,
            filled_notional=order.filled_notional + fill.notional,
            fee=order.fee + fill.fee,
            updated_at=self.clock.now(),
        )
        target = S.FILLED if filled >= order.quantity else S.PARTIALLY_FILLED
        if target != order.status and can_transition(order.status, target):
            updated = updated.transition(target, self.clock.now(), "fill")
        elif order.status.is_final and target != order.status:
            # e.g. a fill after we declared the order rejected: the fill is a fact, apply it,
            # keep the record, and say so loudly.
            log.error("oms.fill_on_final_order", cloid=order.client_order_id, status=order.status)
        position, balances = self.portfolio.preview(fill)
        if not self.store.record_fill(fill, updated, position, balances):
            return False
        self.portfolio.commit(position, balances)
        self._track(updated)
        self.counts["fills"] += 1
        log.info(
            "oms.fill",
            fill_id=fill.fill_id,
            symbol=fill.symbol,
            side=fill.side.value,
            quantity=str(fill.quantity),
            price=str(fill.price),
            fee=str(fill.fee),
        )
        return True

    def _fetch_start(self) -> datetime:
        """Where the next routine fill fetch starts: just before the newest fill already seen.

        The overlap is capped at the last ``RECENT_FILLS`` fills so a fast bot re-reads a
        constant number of fills, never its history. Before any fill was seen, the window
        covers the unsettled orders (or the last ``LOOKBACK``).
        """
        if self.fills_seen_until is None:
            unsettled = [o.created_at for o in self.active.values()]
            return min(unsettled, default=self.clock.now()) - LOOKBACK
        start = self.fills_seen_until - self.fill_overlap
        if len(self._recent_fills) >= RECENT_FILLS:
            start = max(start, min(at for at, _ in self._recent_fills.values()))
        return start

    def owed_orders(self) -> list[ManagedOrder]:
        """Tracked orders with fills we know exist but lack, or whose fate is unknown."""
        return [
            o
            for o in self.active.values()
            if o.venue_filled_quantity > o.filled_quantity
            or (o.status is S.FILLED and o.filled_quantity < o.quantity)
            or o.status is S.UNKNOWN
        ]

    async def sync_fills(self, since: datetime | None = None) -> tuple[int, int]:
        """Pull the venue's fills since the newest one seen (or ``since``), apply ours.

        Returns (new fills applied, foreign fills seen for the first time). Each fill is
        applied once whatever the window: ``fill_id`` is the database's primary key.
        """
        start = self._fetch_start() if since is None else since
        new = foreign = 0
        for fill in sorted(await self.engine.get_fills(start), key=lambda f: f.timestamp):
            if self._recent_fills.get(fill.fill_id, (None, False))[1]:
                continue  # re-read in the overlap and already stored: no database round trip
            if self.apply_fill(fill):
                new += 1
                self._saw(fill, stored=True)
                continue
            stored = self.store.has_fill(fill.fill_id)
            if not stored:  # not ours, or not yet: a fill whose order we learn later is retried
                foreign += fill.fill_id not in self._foreign_seen
                self._foreign_seen[fill.fill_id] = fill.timestamp
            self._saw(fill, stored)
        if self._foreign_seen:  # keep only what the next fetch can return again
            floor = self._fetch_start()
            self._foreign_seen = {k: t for k, t in self._foreign_seen.items() if t >= floor}
        return new, foreign

    def _saw(self, fill: Fill, stored: bool) -> None:
        if self.fills_seen_until is None or fill.timestamp > self.fills_seen_until:
            self.fills_seen_until = fill.timestamp
        self._recent_fills[fill.fill_id] = (fill.timestamp, stored)
        if len(self._recent_fills) > RECENT_FILLS:
            del self._recent_fills[next(iter(self._recent_fills))]

    async def sync_owed_fills(self) -> tuple[int, int]:
        """Fetch back to the oldest owed order, if the routine window did not explain it."""
        owed = self.owed_orders()
        if not owed:
            return 0, 0
        return await self.sync_fills(min(o.created_at for o in owed) - LOOKBACK)

    async def reconcile(self) -> ReconcileReport:
        """Resolve every live order with the venue, apply missed fills, report orphans."""
        return await reconcile_orders(self)

    def pending_sells(self) -> dict[str, Decimal]:
        """Per symbol, the sell quantity live or unsettled orders may still take (positive).

        Sizing caps a spot sell at the position less these: counting a resting buy as filled
        must not let a sell take the account short.
        """
        totals: dict[str, Decimal] = {}
        for order in self.active.values():
            quantity = order.unapplied_quantity
            if quantity < 0:
                totals[order.symbol] = totals.get(order.symbol, Decimal(0)) - quantity
        return totals

    async def cancel_open(self) -> int:
        """Cancel every live order of ours that the venue holds; return how many were asked."""
        count = 0
        for order in list(self.live.values()):
            if order.order_id and order.status in (S.OPEN, S.PARTIALLY_FILLED, S.PENDING):
                try:
                    await self.engine.cancel_order(order.order_id)
                    count += 1
                except BrokerError as exc:
                    log.warning("oms.cancel_failed", order_id=order.order_id, error=str(exc))
        return count
