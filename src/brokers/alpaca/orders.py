"""Core ``Order`` <-> Alpaca order JSON: building ``POST /v2/orders`` bodies and reading orders.

Time in force: core ``GTC`` -> ``gtc``, ``IOC`` -> ``ioc``; ``GTD`` has no Alpaca equivalent and
is refused. When the caller left ``time_in_force`` at its default, equities are sent as ``day``
(Alpaca's convention, and the only value fractional and notional orders accept) and crypto as
``gtc``. Any Alpaca value (``day``, ``gtc``, ``ioc``, ``fok``, ``opg``, ``cls``) can be forced per
call with ``AlpacaAdapter.submit_orders(orders, time_in_force=...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from src.brokers.alpaca import parse
from src.brokers.alpaca.config import AlpacaTimeInForce
from src.core.decimals import to_plain_string
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, OrderUpdate, TimeInForce
from src.core.instruments import Instrument

_ALPACA_TYPE: dict[OrderType, str] = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP_LOSS: "stop",
    OrderType.STOP_LOSS_LIMIT: "stop_limit",
    OrderType.TRAILING_STOP: "trailing_stop",
}
_CORE_TIF: dict[TimeInForce, AlpacaTimeInForce] = {
    TimeInForce.GTC: AlpacaTimeInForce.GTC,
    TimeInForce.IOC: AlpacaTimeInForce.IOC,
}
_CENT = Decimal("0.01")


def is_crypto(symbol: str) -> bool:
    """Alpaca crypto pairs are written "BTC/USD"; equities are bare tickers."""
    return "/" in symbol


def time_in_force(order: Order, override: AlpacaTimeInForce | str | None) -> AlpacaTimeInForce:
    """The Alpaca time in force for ``order`` (see the module docstring for the rules)."""
    if override is not None:
        try:
            return AlpacaTimeInForce(str(override).lower())
        except ValueError:
            allowed = ", ".join(t.value for t in AlpacaTimeInForce)
            raise InvalidOrderError(
                f"time_in_force: {override!r} is not an Alpaca value ({allowed})"
            ) from None
    if "time_in_force" not in order.model_fields_set:
        return AlpacaTimeInForce.GTC if is_crypto(order.symbol) else AlpacaTimeInForce.DAY
    mapped = _CORE_TIF.get(order.time_in_force)
    if mapped is None:
        raise InvalidOrderError(
            f"time_in_force: Alpaca has no {order.time_in_force.value} orders; use GTC, IOC or "
            "an Alpaca override (day, gtc, ioc, fok, opg, cls)"
        )
    return mapped


def _unsupported(order: Order) -> None:
    if order.order_type not in _ALPACA_TYPE:
        raise InvalidOrderError(
            f"order_type: Alpaca has no {order.order_type.value} orders; use market, limit, "
            "stop-loss, stop-loss-limit or trailing-stop"
        )
    if order.post_only or order.reduce_only or order.leverage is not None:
        raise InvalidOrderError("post_only, reduce_only and leverage are not supported by Alpaca")
    notional_limit = order.notional is not None and order.order_type is not OrderType.MARKET
    if notional_limit and not is_crypto(order.symbol):
        raise InvalidOrderError("notional: Alpaca takes notional equity orders only as market")


def _quantity_fields(order: Order, instrument: Instrument) -> dict[str, str]:
    if order.notional is not None:
        notional = order.notional.quantize(_CENT, rounding=ROUND_DOWN)
        if notional < max(instrument.min_cost, _CENT):
            raise OrderMinimumError(
                f"{order.symbol}: notional {order.notional} is below the minimum "
                f"{max(instrument.min_cost, _CENT)} USD"
            )
        return {"notional": to_plain_string(notional)}
    assert order.quantity is not None
    qty = instrument.round_quantity(order.quantity)
    if qty <= 0:
        raise OrderMinimumError(
            f"{order.symbol}: quantity {order.quantity} rounds to 0 "
            f"at lot step {instrument.lot_step}"
        )
    instrument.check_minimums(qty, order.limit_price)
    return {"qty": to_plain_string(qty.normalize())}


def build_order_body(
    order: Order, instrument: Instrument, tif: AlpacaTimeInForce | str | None = None
) -> dict[str, Any]:
    """The ``POST /v2/orders`` JSON for ``order``, rounded to the instrument and checked.

    Raises:
        InvalidOrderError: the order cannot be expressed on Alpaca.
        OrderMinimumError: the order is below the instrument's minimum.
    """
    _unsupported(order)
    body: dict[str, Any] = {
        "symbol": instrument.venue_symbol or order.symbol,
        "side": order.side.value,
        "type": _ALPACA_TYPE[order.order_type],
        "time_in_force": time_in_force(order, tif).value,
        "client_order_id": order.client_order_id,
    }
    body.update(_quantity_fields(order, instrument))
    side = order.side.value
    if order.limit_price is not None:
        body["limit_price"] = to_plain_string(instrument.round_price(order.limit_price, side))
    if order.stop_price is not None:
        # A stop is rounded away from the market side: never triggers earlier than asked.
        opposite = "sell" if side == "buy" else "buy"
        body["stop_price"] = to_plain_string(instrument.round_price(order.stop_price, opposite))
    if order.order_type is OrderType.TRAILING_STOP:
        assert order.trail_offset is not None
        key = "trail_percent" if order.trail_percent else "trail_price"
        body[key] = to_plain_string(order.trail_offset)
    return body


def order_update(payload: Mapping[str, Any]) -> OrderUpdate:
    """An Alpaca order object -> ``OrderUpdate`` (the payload stays in ``raw``)."""
    what = "order"
    filled = parse.dec(payload.get("filled_qty") or "0", "filled_qty")
    qty = parse.opt_dec(payload, "qty")
    return OrderUpdate(
        order_id=str(parse.field(payload, "id", what)),
        client_order_id=payload.get("client_order_id"),
        symbol=str(parse.field(payload, "symbol", what)),
        side=parse.side(payload.get("side")),
        order_type=parse.order_type(payload.get("type") or payload.get("order_type")),
        status=parse.order_status(payload.get("status")),
        quantity=qty if qty is not None else filled,  # notional orders have no qty until filled
        filled_quantity=filled,
        limit_price=parse.opt_dec(payload, "limit_price"),
        stop_price=parse.opt_dec(payload, "stop_price"),
        average_price=parse.opt_dec(payload, "filled_avg_price"),
        created_at=parse.opt_timestamp(payload, "created_at"),
        updated_at=parse.opt_timestamp(payload, "updated_at"),
        raw=dict(payload),
    )
