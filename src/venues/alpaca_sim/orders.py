"""Simulator order records and validation of ``POST /v2/orders`` bodies.

Written independently of the adapter (no shared parsing code), following Alpaca's order object
and request rules.

Reference: https://docs.alpaca.markets/reference/postorder and
https://docs.alpaca.markets/docs/orders-at-alpaca (crypto: gtc/ioc only; fractional and notional
equity orders must be ``day``; notional only on market orders).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from src.venues.alpaca_sim.catalog import SimAsset

EQUITY_TIF = frozenset({"day", "gtc", "opg", "cls", "ioc", "fok"})
CRYPTO_TIF = frozenset({"gtc", "ioc"})
ORDER_TYPES = frozenset({"market", "limit", "stop", "stop_limit", "trailing_stop"})
OPEN_STATUSES = frozenset(
    {"new", "accepted", "pending_new", "partially_filled", "held", "pending_cancel"}
)


class SimError(Exception):
    """An error the simulator answers with: HTTP status plus Alpaca's ``{code, message}`` body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def unprocessable(message: str) -> SimError:
    """A 422 ``SimError`` with Alpaca's validation code."""
    return SimError(422, 40010001, message)


def iso(ts: datetime | None) -> str | None:
    """Alpaca's timestamp style: RFC 3339 with nanoseconds and a ``Z``."""
    if ts is None:
        return None
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def number(body: dict[str, Any], name: str) -> Decimal | None:
    """``body[name]`` as a Decimal, or None if absent or empty.

    Raises:
        SimError: 422 if the value is not a number.
    """
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise unprocessable(f"invalid {name}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise unprocessable(f"invalid {name}") from None
    if not result.is_finite() or result <= 0:
        raise unprocessable(f"{name} must be > 0")
    return result


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
    def remaining(self) -> Decimal:
        """``qty`` less the filled quantity (``qty`` counts as 0 on notional orders)."""
        return (self.qty or Decimal(0)) - self.filled_qty

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

    def to_json(self) -> dict[str, Any]:
        """The order object as Alpaca's REST API returns it."""

        def s(v: Decimal | None) -> str | None:
            return None if v is None else format(v, "f")

        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at or self.created_at),
            "submitted_at": iso(self.created_at),
            "filled_at": iso(self.filled_at),
            "expired_at": iso(self.expired_at),
            "canceled_at": iso(self.canceled_at),
            "failed_at": None,
            "replaced_at": iso(self.replaced_at),
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


def _check_type_fields(order: SimOrder) -> None:
    needs_limit = order.type in ("limit", "stop_limit")
    needs_stop = order.type in ("stop", "stop_limit")
    if needs_limit and order.limit_price is None:
        raise unprocessable("limit_price is required for limit orders")
    if not needs_limit and order.limit_price is not None:
        raise unprocessable(f"limit_price must not be set for {order.type} orders")
    if needs_stop and order.stop_price is None:
        raise unprocessable("stop_price is required for stop orders")
    if order.type == "trailing_stop":
        if (order.trail_price is None) == (order.trail_percent is None):
            raise unprocessable("exactly one of trail_price or trail_percent is required")
    elif order.trail_price is not None or order.trail_percent is not None:
        raise unprocessable("trail_price and trail_percent are only for trailing_stop orders")


def _check_quantity(order: SimOrder) -> None:
    asset = order.asset
    if (order.qty is None) == (order.notional is None):
        raise unprocessable("qty or notional is required, but not both")
    if order.notional is not None and order.type != "market" and not asset.is_crypto:
        raise unprocessable("notional orders are only allowed for market orders")
    fractional = order.notional is not None or (
        order.qty is not None and order.qty != order.qty.to_integral_value()
    )
    if asset.is_crypto:
        if order.time_in_force not in CRYPTO_TIF:
            raise unprocessable(f"invalid crypto time_in_force: {order.time_in_force}")
        minimum = asset.min_order_size or Decimal(0)
        if order.qty is not None and order.qty < minimum:
            raise unprocessable(f"qty must be >= {minimum}")
        return
    if order.time_in_force not in EQUITY_TIF:
        raise unprocessable(f"invalid time_in_force: {order.time_in_force}")
    if fractional and not asset.fractionable:
        raise unprocessable(f"asset {asset.symbol} is not fractionable")
    if fractional and order.time_in_force != "day":
        raise unprocessable("fractional orders must be DAY orders")


def order_from_request(
    body: Any, asset_lookup: dict[str, SimAsset], client_order_id: str | None
) -> SimOrder:
    """Validate a submit body and build the order, or raise ``SimError`` as Alpaca would."""
    if not isinstance(body, dict):
        raise SimError(400, 40010000, "request body format is invalid")
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise unprocessable("symbol is required")
    asset = asset_lookup.get(symbol) or asset_lookup.get(symbol.upper())
    if asset is None:
        raise unprocessable(f'could not find asset "{symbol}"')
    if not asset.tradable or asset.status != "active":
        raise unprocessable(f"asset {symbol} is not tradable")
    side = body.get("side")
    if side not in ("buy", "sell"):
        raise unprocessable("side must be buy or sell")
    order_type = body.get("type", body.get("order_type"))
    if order_type not in ORDER_TYPES:
        raise unprocessable(f"invalid order type: {order_type}")
    tif = body.get("time_in_force")
    if not isinstance(tif, str):
        raise unprocessable("time_in_force is required")
    order = SimOrder(
        asset=asset,
        side=side,
        type=order_type,
        time_in_force=tif,
        client_order_id=client_order_id or str(uuid.uuid4()),
        qty=number(body, "qty"),
        notional=number(body, "notional"),
        limit_price=number(body, "limit_price"),
        stop_price=number(body, "stop_price"),
        trail_price=number(body, "trail_price"),
        trail_percent=number(body, "trail_percent"),
        extended_hours=bool(body.get("extended_hours", False)),
    )
    _check_quantity(order)
    _check_type_fields(order)
    return order
