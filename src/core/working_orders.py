"""Working-order management: resting limit orders are re-priced, aged out and cancelled.

With ``SizingConfig.limit_offset_bps`` the runtime sends limit orders; a passive one (negative
offset) rests until the market comes to it, and its pending quantity holds the pair meanwhile.
``WorkingOrders`` runs from the runtime's loop (``manage``, every step) and before each
candle's orders are planned (``on_targets``):

* a resting limit order whose reference price (the mid, else the last close) has moved more
  than ``reprice_threshold_bps`` from the price it was priced from, and that was placed or last
  re-priced at least ``reprice_after_seconds`` ago, gets a new price (the same offset, rounded
  to the tick, minimums checked): amended in place when the engine is an ``OrderAmender``,
  else cancelled and, once the venue confirms, replaced by a new order (new client order id)
  for what is left;
* once ``max_reprices`` re-prices are done, the next one that falls due cancels it instead,
  and ``cancel_after_seconds`` after the intent's first order was placed it is cancelled;
* with ``cancel_on_flip``, working orders against the strategy's new target are cancelled
  before a new order is planned.

The requests themselves (events in the store, logs, the lost-reply policy) are
``src.core.order_changes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import structlog

from src.core.errors import ConfigurationError, OrderMinimumError
from src.core.execution import OrderType, Side
from src.core.instruments import Instrument
from src.core.order_changes import Lineage, OrderChange, OrderChangeDesk
from src.core.order_manager import OrderManager
from src.core.order_state import ManagedOrder
from src.core.risk import RiskContext, RiskManager
from src.core.sizing import SizingConfig, Target, limit_price_for

__all__ = ["WorkingOrderConfig", "WorkingOrders"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WorkingOrderConfig:
    """When resting orders are re-priced and cancelled (every feature off by default).

    Attributes:
        reprice_after_seconds: least time since an order was placed or last re-priced before
            it may be re-priced; None never re-prices.
        reprice_threshold_bps: how far (basis points of the price the order was priced from)
            the reference price must move before the order is re-priced.
        max_reprices: re-prices per intent (replacements included); the next one that falls
            due cancels the order instead.
        cancel_after_seconds: cancel an order this long after its intent's first order was
            placed; None never cancels for age.
        cancel_on_flip: cancel working orders against the strategy's new target before a new
            order is planned.
    """

    reprice_after_seconds: float | None = None
    reprice_threshold_bps: Decimal = Decimal(10)
    max_reprices: int = 3
    cancel_after_seconds: float | None = None
    cancel_on_flip: bool = False

    def __post_init__(self) -> None:
        for name in ("reprice_after_seconds", "cancel_after_seconds", "reprice_threshold_bps"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigurationError(f"{name}: must not be negative, got {value}")
        if self.max_reprices < 0:
            raise ConfigurationError(f"max_reprices: must not be negative, got {self.max_reprices}")

    @property
    def enabled(self) -> bool:
        """True when any feature is on."""
        timers = (self.reprice_after_seconds, self.cancel_after_seconds)
        return self.cancel_on_flip or any(t is not None for t in timers)


class WorkingOrders:
    """Re-prices and cancels the bot's resting orders (the policy over ``OrderChangeDesk``).

    Args:
        oms: the order manager (its engine, store, clock and portfolio).
        instruments: rounding and minimums by symbol (the runtime's, filled at start).
        config: the policy.
        sizing: capital per pair (what a target wants) and the limit offset (new prices).
        risk: checks a replacement like any new order; no re-price once the kill switch tripped.
        context: the risk context of a symbol (the runtime's).
    """

    def __init__(
        self,
        oms: OrderManager,
        instruments: Mapping[str, Instrument],
        config: WorkingOrderConfig,
        sizing: SizingConfig,
        risk: RiskManager,
        context: Callable[[str], RiskContext],
    ) -> None:
        self.oms, self.instruments, self.config, self.sizing = oms, instruments, config, sizing
        self.risk = risk
        self.desk = OrderChangeDesk(oms, instruments, risk, context)

    @property
    def counts(self) -> Counter[str]:
        """What was done: amends_sent, amended, cancels_sent, replaced, refused."""
        return self.desk.counts

    def busy_symbols(self) -> set[str]:
        """Symbols with a cancel or amend the venue has not confirmed: no new order there."""
        return self.desk.busy_symbols()

    # ------------------------------------------------------------------ the policy
    async def on_targets(self, targets: Sequence[Target], prices: Mapping[str, Decimal]) -> None:
        """Cancel working orders against the new targets (``cancel_on_flip``), before planning.

        A buy is against a target that wants no more than the position held, a sell against
        one that wants no less. A cancel the venue has not confirmed leaves its pair busy.
        """
        if not self.config.cancel_on_flip:
            return
        capital = self.sizing.capital_per_pair
        wanted = {t.symbol: t.weight * capital / prices[t.symbol] for t in targets
                  if prices.get(t.symbol)}  # fmt: skip
        held = self.oms.portfolio.quantities()
        for order in list(self.oms.live.values()):
            want = wanted.get(order.symbol)
            if want is None or not self.desk.workable(order):
                continue
            position = held.get(order.symbol, Decimal(0))
            if (want <= position) if order.side is Side.BUY else (want >= position):
                await self.desk.cancel(order, f"target flip: wants {want:.8f}, holds {position}")

    async def manage(self, references: Mapping[str, Decimal]) -> None:
        """One pass: settle what the venue has not confirmed, then re-price or cancel what is due.

        Args:
            references: the current reference price by symbol (the mid, else the last close).
        """
        await self.desk.settle_all()
        if not self.config.enabled:
            return
        now = self.oms.clock.now()
        for order in list(self.oms.live.values()):
            limit = order.order_type is OrderType.LIMIT
            if limit and self.desk.workable(order) and self.desk.due(order):
                await self._review(order, references.get(order.symbol), now)

    async def _review(self, order: ManagedOrder, reference: Decimal | None, now: datetime) -> None:
        config, lineage = self.config, self.desk.lineage_of(order)
        age = (now - lineage.origin).total_seconds()
        if config.cancel_after_seconds is not None and age >= config.cancel_after_seconds:
            await self.desk.cancel(order, f"cancel_after: resting {age:.0f} s")
        elif reference is None or not self._reprice_due(order, reference, lineage, now):
            return
        elif lineage.reprices >= config.max_reprices:
            await self.desk.cancel(order, f"max_reprices: {lineage.reprices} re-prices done")
        elif not self.risk.kill_switch.tripped:
            await self._reprice(order, reference)

    def _reprice_due(
        self, order: ManagedOrder, reference: Decimal, lineage: Lineage, now: datetime
    ) -> bool:
        after, priced = self.config.reprice_after_seconds, order.reference_price
        if after is None or not priced or (now - lineage.priced_at).total_seconds() < after:
            return False
        return abs(reference - priced) / priced * 10_000 > self.config.reprice_threshold_bps

    async def _reprice(self, order: ManagedOrder, reference: Decimal) -> None:
        instrument = self.instruments.get(order.symbol)
        if instrument is None or order.limit_price is None:
            return
        offset = self.sizing.limit_offset_bps
        if offset is None:  # placed by other means: keep the order's own distance
            offset = (order.limit_price / (order.reference_price or reference) - 1) * 10_000
            offset *= order.side.sign
        price = limit_price_for(reference, order.side, offset, instrument)
        if price == order.limit_price:
            return  # the tick swallowed the move
        in_place = self.desk.amends_in_place
        quantity = order.quantity if in_place else _remaining(order)
        try:
            instrument.check_minimums(quantity, price)
        except OrderMinimumError as exc:  # nothing is sent below the minimums: keep resting
            log.info("working.reprice_skipped", cloid=order.client_order_id, reason=str(exc))
            self.desk.defer(order)
            return
        change = OrderChange(limit_price=price, reference_price=reference, reprice=True)
        if in_place:
            await self.desk.amend(order, change)
        else:
            await self.desk.cancel(order, f"re-price to {price} (cancel-and-replace)", change)

    # ------------------------------------------------------------------ levers
    async def cancel(self, client_order_id: str, why: str = "requested") -> ManagedOrder | None:
        """Cancel one working order; returns it once the venue confirms, else None (pending).

        Raises:
            ValueError: it is not an acknowledged open order, or a change of it is pending.
        """
        order = self.desk.current(client_order_id)
        if order is None or not self.desk.workable(order):
            raise ValueError(f"{client_order_id}: not a working order (or a change is pending)")
        return await self.desk.cancel(order, why)

    async def amend(
        self,
        client_order_id: str,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
    ) -> ManagedOrder | None:
        """Change a working limit order's total quantity and/or limit price.

        In place when the engine is an ``OrderAmender``, else by cancel-and-replace (the new
        order is sent once the venue confirms the cancel). Values are rounded to the
        instrument (the price never more aggressively, the quantity down).

        Returns:
            The order after the change (the replacement after cancel-and-replace), or None
            while the venue has not confirmed it or refused it.

        Raises:
            ValueError: not a working limit order, nothing to change, a change is pending, or
                a quantity at or below what has filled.
            OrderMinimumError: the changed order would be under the instrument's minimums.
        """
        order = self.desk.current(client_order_id)
        instrument = self.instruments.get(order.symbol) if order is not None else None
        if order is None or instrument is None or order.limit_price is None:
            raise ValueError(f"{client_order_id}: not a working limit order")
        if not self.desk.workable(order) or (quantity is None and limit_price is None):
            raise ValueError(f"{client_order_id}: nothing to change, or a change is pending")
        qty = None if quantity is None else instrument.round_quantity(quantity)
        price = None if limit_price is None else instrument.round_price(limit_price, order.side)
        if qty is not None and qty <= max(order.filled_quantity, order.venue_filled_quantity):
            raise ValueError(f"{client_order_id}: quantity {qty} is not above what has filled")
        instrument.check_minimums(qty or order.quantity, price or order.limit_price)
        if self.desk.amends_in_place:
            return await self.desk.amend(order, OrderChange(price, qty))
        change = OrderChange(price or order.limit_price, qty, order.reference_price)
        return await self.desk.cancel(order, "amend (cancel-and-replace)", change)


def _remaining(order: ManagedOrder) -> Decimal:
    return order.quantity - max(order.filled_quantity, order.venue_filled_quantity)
