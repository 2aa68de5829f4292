"""``Order`` -> Kraken Futures ``sendorder``/``editorder``/batch parameters, rounded and checked.

Order types (https://docs.kraken.com/api/docs/futures-api/trading/send-order): ``lmt``,
``post`` (post-only limit), ``ioc``, ``mkt`` (IOC with 1 % price protection), ``stp`` and
``take_profit`` (``stopPrice`` with ``triggerSignal``; with ``limitPrice`` a stop-limit),
``trailing_stop`` (``trailingStopMaxDeviation`` + ``trailingStopDeviationUnit``). Sizes are
contracts (PF: base units, PI: one-dollar contracts), rounded down to the lot; limit prices to
the tick, never more aggressive; trigger prices to the nearest tick.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from src.core.derivatives import DerivativeInstrument
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, Side, TimeInForce

__all__ = ["TRAILING_PERCENT_RANGE", "encode_edit", "encode_order", "kraken_order_type"]

#: ``trailingStopDeviationUnit=PERCENT`` accepts 0.1 to 50 (spec ``sendorder``).
TRAILING_PERCENT_RANGE = (Decimal("0.1"), Decimal(50))
_STOP_TYPES = {
    OrderType.STOP_LOSS: "stp",
    OrderType.STOP_LOSS_LIMIT: "stp",
    OrderType.TAKE_PROFIT: "take_profit",
    OrderType.TAKE_PROFIT_LIMIT: "take_profit",
}


def kraken_order_type(order: Order) -> str:
    """Kraken's ``orderType`` for ``order``.

    Raises:
        InvalidOrderError: a combination Kraken Futures has no type for (GTD, post-only IOC).
    """
    if order.time_in_force is TimeInForce.GTD:
        raise InvalidOrderError("Kraken Futures has no good-till-date orders; use GTC or IOC")
    if order.order_type is OrderType.MARKET:
        return "mkt"
    if order.order_type is OrderType.LIMIT:
        if order.post_only and order.time_in_force is TimeInForce.IOC:
            raise InvalidOrderError("an order cannot be both post-only and IOC")
        if order.post_only:
            return "post"
        return "ioc" if order.time_in_force is TimeInForce.IOC else "lmt"
    if order.order_type is OrderType.TRAILING_STOP:
        return "trailing_stop"
    return _STOP_TYPES[order.order_type]


def _trigger_price(price: Decimal, instrument: DerivativeInstrument) -> Decimal:
    tick = instrument.price_tick
    return ((price / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick).quantize(tick)


def _size(quantity: Decimal | None, instrument: DerivativeInstrument) -> Decimal:
    if quantity is None:
        raise InvalidOrderError(
            f"{instrument.symbol}: futures orders take a quantity in contracts, not a notional"
        )
    size = instrument.round_quantity(quantity)
    if size <= 0 or size < instrument.min_quantity:
        raise OrderMinimumError(
            f"{instrument.symbol}: size {quantity} rounds to {size}, below the minimum "
            f"{instrument.min_quantity} contracts"
        )
    return size


def _trailing(order: Order) -> dict[str, Any]:
    assert order.trail_offset is not None  # Order's own validation guarantees it
    unit = "PERCENT" if order.trail_percent else "QUOTE_CURRENCY"
    low, high = TRAILING_PERCENT_RANGE
    if order.trail_percent and not low <= order.trail_offset <= high:
        raise InvalidOrderError(f"trailing percent {order.trail_offset}: must be 0.1 to 50")
    return {"trailingStopMaxDeviation": order.trail_offset, "trailingStopDeviationUnit": unit}


def encode_order(
    order: Order, instrument: DerivativeInstrument, *, trigger_signal: str = "mark"
) -> dict[str, Any]:
    """``sendorder`` parameters for ``order`` on ``instrument``.

    Raises:
        InvalidOrderError: notional orders, per-order leverage (set it per symbol with
            ``set_leverage``), GTD, or a trailing percent out of range.
        OrderMinimumError: the size rounds below one lot.
    """
    if order.leverage is not None:
        raise InvalidOrderError(
            "Kraken Futures sets leverage per symbol, not per order: use set_leverage()"
        )
    kind = kraken_order_type(order)
    params: dict[str, Any] = {
        "orderType": kind,
        "symbol": instrument.venue_symbol or instrument.symbol,
        "side": order.side.value,
        "size": _size(order.quantity, instrument),
        "cliOrdId": order.client_order_id,
    }
    if order.limit_price is not None:
        params["limitPrice"] = instrument.round_price(order.limit_price, order.side.value)
    if kind in ("stp", "take_profit"):
        assert order.stop_price is not None
        params["stopPrice"] = _trigger_price(order.stop_price, instrument)
    if kind in ("stp", "take_profit", "trailing_stop"):
        params["triggerSignal"] = trigger_signal
    if kind == "trailing_stop":
        params.update(_trailing(order))
    if order.reduce_only:
        params["reduceOnly"] = True
    return params


def encode_edit(
    instrument: DerivativeInstrument,
    side: Side,
    *,
    order_id: str | None = None,
    cli_ord_id: str | None = None,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
) -> dict[str, Any]:
    """``editorder`` parameters (``size`` is the new *open* size: ``qtyMode`` RELATIVE)."""
    if (order_id is None) == (cli_ord_id is None):
        raise InvalidOrderError("editorder: give exactly one of order_id and cli_ord_id")
    params: dict[str, Any] = {"orderId": order_id, "cliOrdId": cli_ord_id}
    if quantity is not None:
        params["size"] = _size(quantity, instrument)
    if limit_price is not None:
        params["limitPrice"] = instrument.round_price(limit_price, side.value)
    if stop_price is not None:
        params["stopPrice"] = _trigger_price(stop_price, instrument)
    if len([v for v in params.values() if v is not None]) == 1:
        raise InvalidOrderError("editorder: nothing to change")
    return {k: v for k, v in params.items() if v is not None}
