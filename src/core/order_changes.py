"""Amends and cancels of the bot's own orders, each confirmed by the venue before it counts.

``OrderChangeDesk`` is the mechanics under the working-order policy (``src.core.working_orders``):
it sends one amend or cancel, stores every step as an order event (``OrderManager.record``),
logs it, and follows the lost-reply policy (``src.core.order_outcome``). A request whose reply
was lost, or that the venue refused, is never re-sent blindly: at each pass the venue is asked
(``find_order``) until it says, and meanwhile the order's pair is busy (no new order there).
A cancel is sent again only when the venue still lists the order open, at most every
``RETRY_SECONDS``; a replacement (cancel-and-replace) is sent only once the venue says the
cancelled order is final, for what is left of it, so one intent never has two live orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog

from src.core.errors import BrokerError, OrderMinimumError, UnknownOrderError
from src.core.execution import OrderStatus, OrderType, OrderUpdate, Side
from src.core.instruments import Instrument
from src.core.order_amend import AmendAck, OrderAmender
from src.core.order_manager import OrderManager
from src.core.order_state import ManagedOrder
from src.core.risk import RiskContext, RiskManager
from src.core.sizing import OrderIntent

__all__ = ["RETRY_SECONDS", "Lineage", "OrderChange", "OrderChangeDesk"]

log = structlog.get_logger(__name__)
#: Seconds (runtime clock) before a refused request, or a cancel the venue still shows open,
#: is tried again: the loop runs several times a second and must not hammer the venue.
RETRY_SECONDS = 5.0
_WORKABLE = frozenset({OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})
#: Key-value entry holding each working order's lineage, so a restart keeps its clocks.
_STATE_KEY = "working_orders"


@dataclass(frozen=True)
class OrderChange:
    """A new limit price and/or total quantity, sent as an amend or as a replacement.

    Attributes:
        limit_price: the new limit price (rounded to the tick), or None to keep it.
        quantity: the new total quantity (filled part included), or None to keep it.
        reference_price: the price the new limit was derived from, or None to keep it.
        reprice: made by the re-pricing policy (counts towards ``max_reprices``).
    """

    limit_price: Decimal | None = None
    quantity: Decimal | None = None
    reference_price: Decimal | None = None
    reprice: bool = False


@dataclass(frozen=True)
class Lineage:
    """One intent across its amends and replacements (what the policy's clocks read)."""

    origin: datetime  # its first order was placed (cancel_after counts from here)
    priced_at: datetime  # last placed or re-priced
    reprices: int = 0


@dataclass
class _Pending:
    """A cancel or amend the venue has not confirmed yet (its pair waits)."""

    kind: str  # "cancel" or "amend"
    symbol: str
    why: str
    retry_at: float  # runtime monotonic time
    change: OrderChange | None = None  # cancel: the replacement; amend: what was asked


class OrderChangeDesk:
    """Sends amends and cancels for the order manager, each confirmed by the venue.

    Args:
        oms: the order manager (its engine, store, clock and portfolio).
        instruments: rounding and minimums by symbol.
        risk: checks a replacement like any new order.
        context: the risk context of a symbol (the runtime's).
    """

    def __init__(
        self,
        oms: OrderManager,
        instruments: Mapping[str, Instrument],
        risk: RiskManager,
        context: Callable[[str], RiskContext],
    ) -> None:
        self.oms, self.instruments, self.risk, self._context = oms, instruments, risk, context
        #: amends_sent, amended, cancels_sent, replaced, refused.
        self.counts: Counter[str] = Counter()
        self._pending: dict[str, _Pending] = {}
        self._not_before: dict[str, float] = {}
        self._lineage: dict[str, Lineage] = _load(oms.store.get(_STATE_KEY) or {})

    @property
    def amends_in_place(self) -> bool:
        """True when the engine amends (``OrderAmender``); else cancel-and-replace."""
        return isinstance(self.oms.engine, OrderAmender)

    def busy_symbols(self) -> set[str]:
        """Symbols with a cancel or amend the venue has not confirmed: no new order there."""
        return {p.symbol for p in self._pending.values()}

    def workable(self, order: ManagedOrder) -> bool:
        """True for an acknowledged open order with no change in doubt."""
        return (
            order.order_id is not None
            and order.status in _WORKABLE
            and order.client_order_id not in self._pending
        )

    def due(self, order: ManagedOrder) -> bool:
        """False while a refused request of this order waits for ``RETRY_SECONDS``."""
        now = self.oms.clock.monotonic()
        return self._not_before.get(order.client_order_id, now) <= now

    def defer(self, order: ManagedOrder) -> None:
        """Leave the order alone for ``RETRY_SECONDS``."""
        self._not_before[order.client_order_id] = self._later()

    def lineage_of(self, order: ManagedOrder) -> Lineage:
        """The order's intent: when it started, when it was last priced, how often re-priced."""
        found = self._lineage.get(order.client_order_id)
        return found or Lineage(order.created_at, order.created_at)

    def current(self, cloid: str) -> ManagedOrder | None:
        """The order as the order manager holds it now (memory first, then the store)."""
        return self.oms.active.get(cloid) or self.oms.store.get_order(cloid)

    async def settle_all(self) -> None:
        """Ask the venue about every change it has not confirmed, and act on its answer."""
        for cloid, pending in list(self._pending.items()):
            await self._settle(cloid, pending)

    # ------------------------------------------------------------------ requests
    async def amend(self, order: ManagedOrder, change: OrderChange) -> ManagedOrder | None:
        """Amend ``order`` in place; returns it as amended, or None if refused or in doubt."""
        cloid, what = order.client_order_id, _describe(order, change)
        engine = self.oms.engine
        assert isinstance(engine, OrderAmender) and order.order_id is not None
        self._note(cloid, f"amend requested: {what}")
        log.info("working.amend", cloid=cloid, order_id=order.order_id, change=what)
        self.counts["amends_sent"] += 1
        try:
            ack = await engine.amend_working_order(
                order.order_id,
                client_order_id=cloid,
                quantity=change.quantity,
                limit_price=change.limit_price,
            )
        except UnknownOrderError as exc:  # closed meanwhile: the venue's report says how
            self._refused(cloid, "amend", exc, change)
            await self._ask(cloid)
            return None
        except BrokerError as exc:
            if exc.outcome_known:
                self._refused(cloid, "amend", exc, change)
                return None
            self._note(cloid, f"amend outcome unknown: {exc}")
            log.warning("working.amend_unknown", cloid=cloid, error=str(exc))
            self._pending[cloid] = _Pending("amend", order.symbol, what, self._later(), change)
            return None
        return self._amended(cloid, change, ack)

    async def cancel(
        self, order: ManagedOrder, why: str, replace_with: OrderChange | None = None
    ) -> ManagedOrder | None:
        """Cancel ``order`` (then send ``replace_with`` for what is left, once confirmed).

        Returns:
            The replacement if one was sent, else the order once the venue says it is final;
            None while the venue has not confirmed the cancel.
        """
        cloid = order.client_order_id
        assert order.order_id is not None
        self._note(cloid, f"cancel requested: {why}")
        log.info("working.cancel", cloid=cloid, order_id=order.order_id, why=why)
        self.counts["cancels_sent"] += 1
        # Until the venue says the order is final, its pair waits and nothing replaces it.
        pending = _Pending("cancel", order.symbol, why, self._later(), replace_with)
        self._pending[cloid] = pending
        try:
            await self.oms.engine.cancel_order(order.order_id)
        except UnknownOrderError:
            pass  # no longer open there: the venue's report (asked for below) says why
        except BrokerError as exc:
            outcome = "refused" if exc.outcome_known else "outcome unknown"
            self._note(cloid, f"cancel {outcome}: {exc}")
            log.warning("working.cancel_failed", cloid=cloid, outcome=outcome, error=str(exc))
            return None  # asked again at the next pass, never re-sent blindly
        return await self._settle(cloid, pending)

    # ------------------------------------------------------------------ answers
    def _amended(self, cloid: str, change: OrderChange, ack: AmendAck) -> ManagedOrder | None:
        """Store what the venue now holds: its report wins over the values asked for."""
        current, report = self.current(cloid), ack.order
        if current is None:
            return None
        price = report.limit_price if report is not None else None
        order = replace(
            current,
            quantity=report.quantity if report else change.quantity or current.quantity,
            limit_price=price or change.limit_price or current.limit_price,
            reference_price=change.reference_price or current.reference_price,
        )
        shown = f"quantity {order.quantity}, limit {order.limit_price}"
        amend_id = f" (amend {ack.amend_id})" if ack.amend_id else ""
        order = self.oms.record(order, f"amended: {shown}{amend_id}")
        if report is not None:
            order = self.oms.apply_update(report) or order
        self._bump(cloid, change.reprice, priced=True)
        self.counts["amended"] += 1
        log.info("working.amended", cloid=cloid, order_id=ack.order_id, change=shown)
        return order

    async def _settle(self, cloid: str, pending: _Pending) -> ManagedOrder | None:
        """Ask the venue about an unconfirmed change and act on what it says."""
        update = await self._ask(cloid)
        if update is None:
            return None  # not listed, or the lookup failed: ask again, never guess
        if update.status.is_final:
            del self._pending[cloid]
            log.info("working.closed", cloid=cloid, kind=pending.kind, status=update.status.value)
            if pending.kind == "cancel" and pending.change is not None:
                return await self._replace(cloid, update, pending.change)
            return self.current(cloid)
        if pending.kind == "amend":
            del self._pending[cloid]
            return self._amend_seen(cloid, pending.change or OrderChange(), update)
        if self.oms.clock.monotonic() < pending.retry_at:
            return None  # the venue may lag behind the cancel: look again next pass
        del self._pending[cloid]
        order = self.current(cloid)  # still open: the cancel did not take, so send it again
        return None if order is None else await self.cancel(order, pending.why, pending.change)

    def _amend_seen(
        self, cloid: str, change: OrderChange, update: OrderUpdate
    ) -> ManagedOrder | None:
        """An amend whose reply was lost, judged by the order the venue shows."""
        took = (change.limit_price is None or update.limit_price == change.limit_price) and (
            change.quantity is None or update.quantity == change.quantity
        )
        if took:
            ack = AmendAck(order_id=update.order_id, client_order_id=cloid, order=update)
            return self._amended(cloid, change, ack)
        self._note(cloid, "amend not in effect: the venue shows the order unchanged")
        log.warning("working.amend_not_applied", cloid=cloid)
        self._not_before[cloid] = self._later()
        self._bump(cloid, change.reprice, priced=False)  # an attempt all the same
        return self.current(cloid)

    async def _replace(
        self, cloid: str, closed: OrderUpdate, change: OrderChange
    ) -> ManagedOrder | None:
        """Send what is left of a cancelled order at its new price (cancel-and-replace)."""
        instrument, price = self.instruments.get(closed.symbol), change.limit_price
        old = self.current(cloid)
        if instrument is None or price is None or old is None:
            return None
        total = change.quantity if change.quantity is not None else closed.quantity
        quantity = instrument.round_quantity(total - closed.filled_quantity)
        try:
            if quantity <= 0:
                raise OrderMinimumError(f"{closed.symbol}: nothing left to replace")
            instrument.check_minimums(quantity, price)
        except OrderMinimumError as exc:
            log.info("working.not_replaced", cloid=cloid, reason=str(exc))
            return None
        held = self.oms.portfolio.quantities().get(closed.symbol, Decimal(0))
        intent = OrderIntent(
            closed.symbol, closed.side, quantity, change.reference_price or price,
            order_type=OrderType.LIMIT, limit_price=price,
            reducing=closed.side is Side.SELL and quantity <= held, reason=f"replaces {cloid}",
        )  # fmt: skip
        if self.risk.check(intent, self._context(closed.symbol)) is not None:
            return None  # refused: the risk manager logged and counted it
        lineage = self.lineage_of(old)
        new = await self.oms.submit(intent)
        reprices = lineage.reprices + int(change.reprice)
        self._lineage[new.client_order_id] = Lineage(lineage.origin, new.created_at, reprices)
        self._persist()
        self.counts["replaced"] += 1
        log.info("working.replaced", old=cloid, new=new.client_order_id, price=str(price))
        return new

    # ------------------------------------------------------------------ helpers
    async def _ask(self, cloid: str) -> OrderUpdate | None:
        """The venue's view of an order, applied to the books; None when it cannot say."""
        try:
            update = await self.oms.engine.find_order(cloid)
        except BrokerError as exc:
            log.warning("working.lookup_failed", cloid=cloid, error=str(exc))
            return None
        if update is None:  # an acknowledged order the venue does not list is never guessed
            log.warning("working.not_listed", cloid=cloid)
            return None
        self.oms.apply_update(update)
        return update

    def _refused(self, cloid: str, kind: str, exc: BrokerError, change: OrderChange) -> None:
        self._note(cloid, f"{kind} refused: {exc}")
        log.warning(f"working.{kind}_refused", cloid=cloid, error=str(exc))
        self.counts["refused"] += 1
        self._not_before[cloid] = self._later()
        self._bump(cloid, change.reprice, priced=False)  # a failed re-price still counts

    def _note(self, cloid: str, reason: str) -> ManagedOrder | None:
        """Store ``reason`` as an event of the order as it is now."""
        order = self.current(cloid)
        return None if order is None else self.oms.record(order, reason)

    def _later(self) -> float:
        return self.oms.clock.monotonic() + RETRY_SECONDS

    def _bump(self, cloid: str, reprice: bool, *, priced: bool) -> None:
        order = self.current(cloid)
        if order is None or not (reprice or priced):
            return
        lineage = self.lineage_of(order)
        at = self.oms.clock.now() if priced else lineage.priced_at
        self._lineage[cloid] = replace(
            lineage, priced_at=at, reprices=lineage.reprices + int(reprice)
        )
        self._persist()

    def _persist(self) -> None:
        # Orders still live, or with a change in doubt (a replacement needs its lineage).
        keep = self.oms.live.keys() | self._pending.keys()
        self._lineage = {k: v for k, v in self._lineage.items() if k in keep}
        rows = {
            k: [v.origin.isoformat(), v.priced_at.isoformat(), v.reprices]
            for k, v in self._lineage.items()
        }
        self.oms.store.put(_STATE_KEY, rows)


def _describe(order: ManagedOrder, change: OrderChange) -> str:
    parts = []
    if change.limit_price is not None:
        parts.append(f"limit {order.limit_price} -> {change.limit_price}")
    if change.quantity is not None:
        parts.append(f"quantity {order.quantity} -> {change.quantity}")
    return ", ".join(parts) or "nothing"


def _load(raw: Mapping[str, Any]) -> dict[str, Lineage]:
    return {
        k: Lineage(datetime.fromisoformat(v[0]), datetime.fromisoformat(v[1]), int(v[2]))
        for k, v in raw.items()
    }
