"""The venue's trading engine: accounts, orders, books and triggers; place, edit, cancel.

Everything a REST or WebSocket handler changes goes through here, and every change is told
to listeners (``emit``), which feed the WebSocket sessions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.venues.kraken_futures_paper import payloads
from src.venues.kraken_futures_paper.book import OrderBook
from src.venues.kraken_futures_paper.contracts import Contract
from src.venues.kraken_futures_paper.margin import Figures, figures, group_of
from src.venues.kraken_futures_paper.market import HouseDepth, MarketState
from src.venues.kraken_futures_paper.matching import Matcher
from src.venues.kraken_futures_paper.orders import OrderRequest, Refusal, check_request
from src.venues.kraken_futures_paper.state import Account, VenueOrder

__all__ = ["Engine", "Placed"]

ZERO = Decimal(0)
Listener = Callable[[str, dict[str, Any]], None]


class Placed:
    """What a ``sendorder`` did: Kraken's status, the order and its ``orderEvents``."""

    def __init__(self, status: str, order: VenueOrder, events: list[dict[str, Any]]) -> None:
        self.status, self.order, self.events = status, order, events


class Engine:
    """Orders and accounts over the contracts' markets.

    Args:
        contracts: the listed contracts.
        markets: each contract's market state.
        now: the venue clock's wall time.
        house: the house quotes' shape.
    """

    def __init__(
        self,
        contracts: list[Contract],
        markets: dict[str, MarketState],
        now: Callable[[], datetime],
        house: HouseDepth | None = None,
    ) -> None:
        self.contracts = {c.symbol: c for c in contracts}
        self.markets = markets
        self.now = now
        self.house = house or HouseDepth()
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, VenueOrder] = {}
        self.books = {c.symbol: OrderBook() for c in contracts}
        self.triggers: dict[str, list[VenueOrder]] = {c.symbol: [] for c in contracts}
        self.accrued: dict[str, dict[str, Decimal]] = {}
        self.listeners: list[Listener] = []
        self.matcher = Matcher(self)
        self._priority = 0

    # ------------------------------------------------------------------ events
    def emit(self, kind: str, **data: Any) -> None:
        """Tell every listener (WebSocket sessions) of a change."""
        for listener in list(self.listeners):
            listener(kind, data)

    def order_changed(self, order: VenueOrder, reason: str) -> None:
        """An order was placed, filled, edited or closed."""
        order.reason = reason
        self.emit("order", account=order.account, order=order, reason=reason)
        self.emit("book", symbol=order.symbol)

    def position_changed(self, account: Account, symbol: str) -> None:
        """A position or balance moved: reduce-only orders that would now grow it go."""
        position = account.positions.get(symbol)
        size = position.size if position else ZERO
        for order in self.open_orders(account.id, symbol):
            if order.reduce_only and (size == 0 or (size > 0) == (order.side == "buy")):
                self.close(order, "cancelled", "would_not_reduce_position")
        self.emit("position", account=account.id, symbol=symbol)
        self.emit("balance", account=account.id)

    # ------------------------------------------------------------------ queries
    def open_orders(self, account: str, symbol: str | None = None) -> list[VenueOrder]:
        """The account's open orders (on ``symbol``), newest first."""
        found = [
            o for o in self.orders.values()
            if o.account == account and o.is_open and (symbol is None or o.symbol == symbol)
        ]  # fmt: skip
        return sorted(found, key=lambda o: o.received, reverse=True)

    def find(self, account: str, order_id: str | None, cli_ord_id: str | None) -> VenueOrder | None:
        """The account's order by id or ``cliOrdId``."""
        if order_id:
            order = self.orders.get(order_id)
            return order if order is not None and order.account == account else None
        for order in reversed(list(self.orders.values())):
            if order.account == account and cli_ord_id and order.cli_ord_id == cli_ord_id:
                return order
        return None

    def figures(self, account: Account, group: str, extra: VenueOrder | None = None) -> Figures:
        """Margin figures of one of the account's groups."""
        return figures(
            account, group, self.contracts, self.markets, self.now(), self.orders.values(),
            self.accrued.get(account.id), extra,
        )  # fmt: skip

    # ------------------------------------------------------------------ placing
    def place(self, account_id: str, request: OrderRequest) -> Placed:
        """Assess and execute one order request (never raises for a business refusal)."""
        now = self.now()
        account = self.accounts[account_id]
        contract = self.contracts[request.symbol]
        self._priority += 1
        order = VenueOrder(
            order_id=str(uuid.uuid4()), cli_ord_id=request.cli_ord_id, account=account_id,
            symbol=request.symbol, side=request.side, kind=request.kind, size=request.size,
            limit_price=request.limit_price, stop_price=request.stop_price, received=now,
            priority=self._priority, trigger_signal=request.trigger_signal,
            reduce_only=request.reduce_only, trailing_deviation=request.trailing_deviation,
            trailing_unit=request.trailing_unit, updated=now,
        )  # fmt: skip
        try:
            check_request(request, contract, now)
            reduced = self._assess(account, contract, order)
        except Refusal as refusal:
            order.status, order.closed_at = "rejected", now
            if request.cli_ord_id is None or refusal.status != "clientOrderIdAlreadyExist":
                self.orders[order.order_id] = order
            events = [payloads.reject_event(order, refusal.reason)] if refusal.reason else []
            return Placed(refusal.status, order, events)
        self.orders[order.order_id] = order
        if order.is_trigger:
            self.triggers[order.symbol].append(order)
            self.order_changed(order, "new_placed_order_by_user")
            events = [payloads.place_event(order, reduced)]
            self.matcher.check_triggers(order.symbol)
            return Placed("placed", order, events)
        events = self._run(order, "taker")
        if order.is_open or reduced is not None:
            # Kraken's executed-order example shows only EXECUTION events: PLACE appears
            # when the order rests (or was cut down, to report ``reducedQuantity``).
            events.insert(0, payloads.place_event(order, reduced))
        return Placed("placed", order, events)

    def _assess(self, account: Account, contract: Contract, order: VenueOrder) -> Decimal | None:
        """Book and account checks; returns by how much a reduce-only order was cut."""
        if order.cli_ord_id is not None and any(
            o.cli_ord_id == order.cli_ord_id and o.account == account.id
            for o in self.orders.values()
        ):
            raise Refusal("clientOrderIdAlreadyExist")
        position = account.positions.get(contract.symbol)
        size = position.size if position else ZERO
        reduced = None
        if order.reduce_only:
            if size == 0 or (size > 0) == (order.side == "buy"):
                raise Refusal("wouldNotReducePosition")
            if order.size > abs(size):
                reduced, order.size = order.size - abs(size), abs(size)
        elif abs(size + order.sign * order.size) > contract.max_position:
            raise Refusal("maxPositionViolation")
        if not order.is_trigger:
            self._check_book(order)
        if not order.reduce_only:
            after = self.figures(account, group_of(contract), extra=order)
            if after.initial_with_orders > after.equity:
                raise Refusal("insufficientAvailableFunds")
        return reduced

    def _limit_for(self, order: VenueOrder) -> Decimal:
        if order.limit_price is not None:
            return order.limit_price
        return self.matcher.protection_price(order)

    def _check_book(self, order: VenueOrder) -> None:
        limit = self._limit_for(order)
        if self.matcher.would_self_fill(order, limit):
            raise Refusal("selfFill")
        if order.kind == "post" and self.matcher.would_take(order, limit):
            raise Refusal("postWouldExecute", "POST_WOULD_EXECUTE")
        if order.kind in ("ioc", "mkt") and not self.matcher.would_take(order, limit):
            raise Refusal("iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE")
        if order.kind == "fok" and self.matcher.fillable(order, limit) < order.size:
            raise Refusal("iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE")

    def _run(self, order: VenueOrder, fill_type: str) -> list[dict[str, Any]]:
        """Match a live order; rest a limit remainder, cancel an IOC one. Returns its events."""
        events: list[dict[str, Any]] = []
        limit = self._limit_for(order)
        immediate = order.kind in ("ioc", "mkt", "fok") or order.market_on_trigger
        if order.kind == "mkt" or order.market_on_trigger:
            order.limit_price = limit  # the protection price, as Kraken shows it
        for execution in self.matcher.take(order, limit, fill_type):
            events.append({
                "type": "EXECUTION", "executionId": execution.execution_id,
                "price": execution.price, "amount": execution.qty, "orderPriorEdit": None,
                "orderPriorExecution": execution.prior, "takerReducedQuantity": None,
            })  # fmt: skip
        if order.unfilled > 0 and immediate:
            self.close(order, "cancelled", "ioc_order_failed_because_it_would_not_be_executed")
            events.append(payloads.cancel_event(order))
        elif order.unfilled > 0:
            self.books[order.symbol].add(order)
            self.order_changed(order, "new_placed_order_by_user")
        else:
            self.order_changed(order, "full_fill")
        return events

    def fire_trigger(self, order: VenueOrder) -> None:
        """A trigger's condition holds: it becomes a limit (or market) order and matches."""
        self.triggers[order.symbol].remove(order)
        order.triggered = True
        order.market_on_trigger = order.limit_price is None
        order.updated = self.now()
        self.order_changed(order, "stop_order_triggered")
        if self.matcher.would_self_fill(order, self._limit_for(order)):
            self.close(order, "cancelled", "would_execute_self")
        else:
            self._run(order, "taker")

    # ------------------------------------------------------------------ closing and edits
    def close(self, order: VenueOrder, status: str, reason: str) -> None:
        """End an order (cancelled or rejected) and tell the feeds why."""
        order.status, order.closed_at, order.updated = status, self.now(), self.now()
        self.books[order.symbol].remove(order)
        if order in self.triggers[order.symbol]:
            self.triggers[order.symbol].remove(order)
        self.order_changed(order, reason)

    def cancel(self, order: VenueOrder, reason: str = "cancelled_by_user") -> None:
        """Cancel an open order."""
        self.close(order, "cancelled", reason)

    def cancel_all(self, account: str, symbol: str | None, reason: str) -> list[VenueOrder]:
        """Cancel every open order of ``account`` (on ``symbol``); returns them."""
        orders = self.open_orders(account, symbol)
        for order in orders:
            self.close(order, "cancelled", reason)
        return orders

    def edit(
        self, order: VenueOrder, size: Decimal | None, limit: Decimal | None, stop: Decimal | None
    ) -> list[dict[str, Any]]:
        """Edit an open order in place (``size`` is the new open size); returns its events.

        Raises:
            Refusal: ``invalidSize``/``invalidPrice``, ``postWouldExecute``,
                ``insufficientAvailableFunds`` (the order is left as it was).
        """
        contract = self.contracts[order.symbol]
        old = payloads.order_json(order)
        saved = (order.size, order.limit_price, order.stop_price)
        if size is not None:
            if size <= 0 or not contract.on_lot(size):
                raise Refusal("invalidSize")
            order.size = order.filled + size
        for price in (limit, stop):
            if price is not None and (price <= 0 or not contract.on_tick(price)):
                raise Refusal("invalidPrice")
        if stop is not None and not order.is_trigger:
            raise Refusal("orderForEditNotAStop")
        if limit is not None and limit != order.limit_price:
            order.limit_price = limit
            self._priority += 1
            order.priority = self._priority
        if stop is not None:
            order.stop_price = stop
        try:
            self._check_edit(order)
        except Refusal:
            order.size, order.limit_price, order.stop_price = saved
            raise
        order.updated = self.now()
        events: list[dict[str, Any]] = [
            {"type": "EDIT", "old": old, "new": payloads.order_json(order), "reducedQuantity": None}
        ]
        if order.is_trigger:
            self.order_changed(order, "edited_by_user")
            self.matcher.check_triggers(order.symbol)
            return events
        self.books[order.symbol].remove(order)
        events.extend(self._run(order, "takerAfterEdit"))
        return events

    def _check_edit(self, order: VenueOrder) -> None:
        if order.is_trigger or order.limit_price is None:
            return
        if order.kind == "post" and self.matcher.would_take(order, order.limit_price):
            raise Refusal("postWouldExecute")
        if self.matcher.would_self_fill(order, order.limit_price):
            raise Refusal("selfFill")
        account = self.accounts[order.account]
        after = self.figures(account, group_of(self.contracts[order.symbol]))
        if not order.reduce_only and after.initial_with_orders > after.equity:
            raise Refusal("insufficientAvailableFunds")
