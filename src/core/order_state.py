"""Order lifecycle state machine: which status may follow which, and a record per order."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from src.core.execution import OrderStatus, OrderType, Side

S = OrderStatus

#: Allowed moves. A report of the status an order already has is handled by the caller as a
#: no-op and is not listed here; PARTIALLY_FILLED -> PARTIALLY_FILLED (another partial fill) and
#: UNKNOWN -> UNKNOWN (still unresolved) are real events and are listed.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # NEW: persisted locally, nothing sent. It can be abandoned (CANCELED) or refused locally.
    S.NEW: frozenset({S.PENDING, S.REJECTED, S.CANCELED, S.UNKNOWN}),
    # PENDING: about to be sent or sent, no answer yet.
    S.PENDING: frozenset(
        {S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.UNKNOWN}
    ),
    S.OPEN: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.UNKNOWN}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.UNKNOWN}),
    # UNKNOWN: the venue's answer was lost; whatever the venue later says wins.
    S.UNKNOWN: frozenset(
        {S.UNKNOWN, S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}
    ),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}

#: Statuses during which an order may still trade (counted as pending exposure).
LIVE_STATUSES = frozenset({S.NEW, S.PENDING, S.OPEN, S.PARTIALLY_FILLED, S.UNKNOWN})


class IllegalTransitionError(ValueError):
    """Raised when an order is asked to move to a status its current status cannot reach."""

    def __init__(self, client_order_id: str, current: OrderStatus, target: OrderStatus) -> None:
        super().__init__(
            f"order {client_order_id}: illegal transition {current.value} -> {target.value}"
        )
        self.client_order_id = client_order_id
        self.current = current
        self.target = target


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Whether an order in ``current`` may move to ``target``."""
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class ManagedOrder:
    """One order as the order manager knows it (persisted row).

    ``quantity`` is in base units; ``filled_quantity``, ``filled_notional`` and ``fee`` are the
    sums of the fills applied so far (each fill once).
    """

    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    order_id: str | None = None
    limit_price: Decimal | None = None
    reference_price: Decimal | None = None
    filled_quantity: Decimal = Decimal(0)
    filled_notional: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    venue_filled_quantity: Decimal = Decimal(0)
    reason: str | None = None

    @property
    def is_live(self) -> bool:
        """Return True while the order may still trade (see ``LIVE_STATUSES``)."""
        return self.status in LIVE_STATUSES

    @property
    def remaining_quantity(self) -> Decimal:
        """Return the base quantity not yet filled locally (never negative)."""
        return max(Decimal(0), self.quantity - self.filled_quantity)

    @property
    def unapplied_quantity(self) -> Decimal:
        """Base quantity this order may still add to the position (signed by side).

        Live and filled orders count their whole size; a canceled or expired one what the venue
        says it filled; a rejected one nothing. Fills already applied are subtracted, so an
        order whose fills have not arrived yet still counts and is never traded twice.
        """
        if self.status in LIVE_STATUSES or self.status is S.FILLED:
            expected = self.quantity
        elif self.status in (S.CANCELED, S.EXPIRED):
            expected = self.venue_filled_quantity
        else:
            expected = Decimal(0)
        return max(Decimal(0), expected - self.filled_quantity) * self.side.sign

    @property
    def average_price(self) -> Decimal | None:
        """Return the volume-weighted price of the fills applied so far, or None before any."""
        if self.filled_quantity == 0:
            return None
        return self.filled_notional / self.filled_quantity

    def transition(
        self, target: OrderStatus, at: datetime, reason: str | None = None
    ) -> ManagedOrder:
        """Return a copy in ``target``; raise IllegalTransitionError if not allowed."""
        if not can_transition(self.status, target):
            raise IllegalTransitionError(self.client_order_id, self.status, target)
        return replace(self, status=target, updated_at=at, reason=reason or self.reason)
