"""Build Kraken AddOrder parameters from a core Order: rounding, minimums and plain decimal strings.

https://docs.kraken.com/api/docs/rest-api/add-order
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from src.core.decimals import to_plain_string
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, TimeInForce
from src.core.instruments import Instrument

_UUID_LONG = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_UUID_SHORT = re.compile(r"^[0-9a-fA-F]{32}$")


def check_client_order_id(value: str) -> str:
    """Kraken's ``cl_ord_id`` forms: long UUID, 32-hex short UUID, or ≤ 18 printable ASCII chars."""
    if _UUID_LONG.match(value) or _UUID_SHORT.match(value):
        return value
    if len(value) <= 18 and value.isascii() and value.isprintable():
        return value
    raise InvalidOrderError(
        f"client_order_id {value!r}: Kraken accepts a UUID (36 chars or 32 hex) or at most "
        "18 ASCII characters"
    )


def _trigger(price: Decimal, inst: Instrument) -> str:
    # Trigger prices have no "aggressive" direction: nearest tick.
    return to_plain_string(
        (price / inst.price_tick).to_integral_value(ROUND_HALF_EVEN) * inst.price_tick
    )


def _prices(order: Order, inst: Instrument) -> dict[str, str]:
    otype, side = order.order_type, order.side.value
    params: dict[str, str] = {}
    if otype is OrderType.LIMIT and order.limit_price is not None:
        params["price"] = to_plain_string(inst.round_price(order.limit_price, side))
    elif otype.needs_stop_price and order.stop_price is not None:
        params["price"] = _trigger(order.stop_price, inst)
        if order.limit_price is not None:
            params["price2"] = to_plain_string(inst.round_price(order.limit_price, side))
    elif otype is OrderType.TRAILING_STOP and order.trail_offset is not None:
        offset = to_plain_string(order.trail_offset)
        params["price"] = (
            f"+{offset}%" if order.trail_percent else f"+{_trigger(order.trail_offset, inst)}"
        )
    return params


def _check(order: Order, inst: Instrument, volume: Decimal, params: dict[str, str]) -> None:
    if order.notional is not None:
        # A quote-sized buy's cost is its notional; its size is checked at the ticker later.
        notional = Decimal(params["volume"])
        if inst.min_cost > 0 and notional < inst.min_cost:
            raise OrderMinimumError(
                f"{inst.symbol}: notional {to_plain_string(order.notional)} {inst.quote} is below "
                f"the minimum cost {to_plain_string(inst.min_cost)} {inst.quote}"
            )
        return
    if order.quantity is None:
        return
    if volume <= 0:
        raise OrderMinimumError(
            f"{inst.symbol}: quantity {order.quantity} rounds to 0 at lot step {inst.lot_step}; "
            f"the minimum order size is {inst.min_quantity} {inst.base}"
        )
    # Cost is checked at the limit (or trigger) price; a market order has none, so its cost
    # is checked at the ticker by market_minimums before sending (see OrderDesk.prepare).
    ref = (
        None
        if order.order_type is OrderType.TRAILING_STOP
        else (params.get("price2") or params.get("price"))
    )
    inst.check_minimums(volume, Decimal(ref) if ref else None)


def add_order_params(order: Order, inst: Instrument, pair: str) -> dict[str, str]:
    """AddOrder form fields for ``order`` on ``inst`` (pair = Kraken altname).

    The price is rounded to the tick, never in the aggressive direction; the volume down to the
    lot step; both as plain decimal strings. An order under ``ordermin``/``costmin`` is refused
    here, before anything is sent, with a message naming the minimum (a market order's cost,
    and a notional buy's size, need a price: ``market_minimums`` checks them at the ticker).

    Raises:
        OrderMinimumError: the order is below the pair's minimum size or cost.
        InvalidOrderError: the client order id or a combination of fields Kraken cannot take.
    """
    params: dict[str, str] = {
        "pair": pair,
        "type": order.side.value,
        "ordertype": order.order_type.value,
        "cl_ord_id": check_client_order_id(order.client_order_id),
    }
    oflags: list[str] = []
    if order.notional is not None:
        if order.order_type is not OrderType.MARKET or order.side.value != "buy":
            raise InvalidOrderError(
                "notional: Kraken takes a quote-currency volume only on market buys"
            )
        params["volume"] = to_plain_string(order.notional.quantize(Decimal(1).scaleb(-8)))
        oflags.append("viqc")
        volume = Decimal(0)
    else:
        assert order.quantity is not None
        volume = inst.round_quantity(order.quantity)
        params["volume"] = to_plain_string(volume)
    params.update(_prices(order, inst))
    _check(order, inst, volume, params)
    if order.post_only:
        oflags.append("post")
    if oflags:
        params["oflags"] = ",".join(oflags)
    if order.time_in_force is not TimeInForce.GTC:
        params["timeinforce"] = order.time_in_force.value
    if order.expire_at is not None:
        params["expiretm"] = str(int(order.expire_at.timestamp()))
    if order.reduce_only:
        params["reduce_only"] = "true"
    if order.leverage is not None:
        params["leverage"] = to_plain_string(order.leverage)
    return params
