"""Simulator order records, shaped like Alpaca's order object (``validate`` checks requests).

Written independently of the adapter (no shared parsing code). A notional order keeps
``qty`` null, as Alpaca's does: what it has bought so far is ``filled_qty``, and what it still
may buy is worked out from the dollars left at the price of the moment.

Reference: https://docs.alpaca.markets/reference/getorderbyorderid.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from src.venues.alpaca_sim.catalog import SimAsset
from src.venues.alpaca_sim.timefmt import UTC_STYLE

# Every state in which Alpaca still lets an order trade or be canceled.
OPEN_STATUSES = frozenset(
    {
        "new",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "partially_filled",
        "done_for_day",
        "pending_cancel",
        "pending_replace",
        "pending_review",
        "stopped",
        "suspended",
        "calculated",
        "held",
    }
)
QTY_STEP = Decimal("0.000000001")
Stamp = Callable[[datetime | None], str | None]


class SimError(Exception):
    """An error the simulator answers with: HTTP status plus Alpaca's ``{code, message}`` body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


iso: Stamp = UTC_STYLE.iso
"""Alpaca's timestamp style for orders: RFC 3339 with nanoseconds and a ``Z``."""


@dataclass
class SimOrder:
    """One order as the simulator keeps it."""

    asset: SimAsset
    side: str
    type: str
    time_in_force: str
    client_order_id: str
    qty: Decimal | None = None
    notional: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_price: Decimal | None = None
    trail_percent: Decimal | None = None
    extended_hours: bool = False
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "new"
    filled_qty: Decimal = Decimal(0)
    filled_cost: Decimal = Decimal(0)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    replaced_at: datetime | None = None
    replaced_by: str | None = None
    replaces: str | None = None

    @property
    def is_open(self) -> bool:
        """True while the order can still fill or be canceled."""
        return self.status in OPEN_STATUSES

    @property
    def remaining_notional(self) -> Decimal:
        """Dollars a notional order has still to spend (0 for a quantity order)."""
        return max(Decimal(0), (self.notional or Decimal(0)) - self.filled_cost)

    def remaining_at(self, price: Decimal) -> Decimal:
        """Quantity still to fill: ``qty`` less what filled, or the dollars left at ``price``."""
        if self.qty is not None:
            return self.qty - self.filled_qty
        return (self.remaining_notional / price).quantize(QTY_STEP, rounding=ROUND_DOWN)

    @property
    def filled_avg_price(self) -> Decimal | None:
        """Average fill price, or None before any fill."""
        if not self.filled_qty:
            return None
        return (self.filled_cost / self.filled_qty).quantize(Decimal("0.000000001")).normalize()

    def touch(self) -> datetime:
        """Set ``updated_at`` to now and return it."""
        self.updated_at = datetime.now(UTC)
        return self.updated_at

    def to_json(self, stamp: Stamp = iso) -> dict[str, Any]:
        """The order object as Alpaca's REST API returns it, timestamps written by ``stamp``."""

        def s(v: Decimal | None) -> str | None:
            return None if v is None else format(v, "f")

        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at or self.created_at),
            "submitted_at": stamp(self.created_at),
            "filled_at": stamp(self.filled_at),
            "expired_at": stamp(self.expired_at),
            "canceled_at": stamp(self.canceled_at),
            "failed_at": None,
            "replaced_at": stamp(self.replaced_at),
            "replaced_by": self.replaced_by,
            "replaces": self.replaces,
            "asset_id": self.asset.id,
            "symbol": self.asset.symbol,
            "asset_class": self.asset.asset_class,
            "notional": s(self.notional),
            "qty": s(self.qty),
            "filled_qty": format(self.filled_qty, "f"),
            "filled_avg_price": s(self.filled_avg_price),
            "order_class": "",
            "order_type": self.type,
            "type": self.type,
            "side": self.side,
            "time_in_force": self.time_in_force,
            "limit_price": s(self.limit_price),
            "stop_price": s(self.stop_price),
            "status": self.status,
            "extended_hours": self.extended_hours,
            "legs": None,
            "trail_percent": s(self.trail_percent),
            "trail_price": s(self.trail_price),
            "hwm": None,
            "position_intent": "buy_to_open" if self.side == "buy" else "sell_to_close",
        }
