"""Core ``Order`` <-> Alpaca order JSON: building ``POST /v2/orders`` bodies and reading orders.

Time in force: core ``GTC`` -> ``gtc``, ``IOC`` -> ``ioc``; ``GTD`` has no Alpaca equivalent and
is refused. When the caller left ``time_in_force`` at its default, equities are sent as ``day``
(Alpaca's convention, and the only value fractional and notional orders accept) and crypto as
``gtc``. Any Alpaca value (``day``, ``gtc``, ``ioc``, ``fok``, ``opg``, ``cls``) can be forced per
call with ``AlpacaAdapter.submit_orders(orders, time_in_force=...)``. Alpaca's own rules (crypto
types and time in force, day-only fractional and notional equities, ``extended_hours``, the
sub-penny price grid) are in ``rules`` and apply to ``replace_body`` as to ``build_order_body``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from src.brokers.alpaca import parse, rules
from src.brokers.alpaca.config import AlpacaTimeInForce
from src.brokers.alpaca.rules import is_crypto
from src.core.decimals import to_plain_string
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderStatus, OrderType, OrderUpdate, TimeInForce
from src.core.instruments import Instrument

__all__ = ["AlpacaOrderUpdate", "build_order_body", "is_crypto", "order_update", "replace_body"]

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


def alpaca_tif(value: AlpacaTimeInForce | str) -> AlpacaTimeInForce:
    """An Alpaca time-in-force value, or ``InvalidOrderError`` listing the valid ones."""
    try:
        return AlpacaTimeInForce(str(value).lower())
    except ValueError:
        allowed = ", ".join(t.value for t in AlpacaTimeInForce)
        raise InvalidOrderError(
            f"time_in_force: {value!r} is not an Alpaca value ({allowed})"
        ) from None


def time_in_force(order: Order, override: AlpacaTimeInForce | str | None) -> AlpacaTimeInForce:
    """The Alpaca time in force for ``order`` (see the module docstring for the rules)."""
    if override is not None:
        return alpaca_tif(override)
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
    order: Order,
    instrument: Instrument,
    tif: AlpacaTimeInForce | str | None = None,
    extended_hours: bool = False,
) -> dict[str, Any]:
    """The ``POST /v2/orders`` JSON for ``order``, rounded to the instrument and checked.

    Args:
        order: the core order.
        instrument: its trading rules (``AlpacaAdapter.get_instrument``).
        tif: an Alpaca time in force that overrides the order's.
        extended_hours: ask Alpaca to trade the order in pre-market and after-hours sessions.

    Raises:
        InvalidOrderError: the order cannot be expressed on Alpaca, or breaks one of its rules.
        OrderMinimumError: the order is below the instrument's minimum.
    """
    _unsupported(order)
    wire_type = _ALPACA_TYPE[order.order_type]
    tif_value = time_in_force(order, tif)
    body: dict[str, Any] = {
        "symbol": instrument.venue_symbol or order.symbol,
        "side": order.side.value,
        "type": wire_type,
        "time_in_force": tif_value.value,
        "client_order_id": order.client_order_id,
    }
    body.update(_quantity_fields(order, instrument))
    rules.check(
        order.symbol,
        wire_type=wire_type,
        time_in_force=tif_value,
        fractional="qty" in body and rules.is_fractional(Decimal(body["qty"])),
        notional="notional" in body,
        extended_hours=extended_hours,
    )
    body.update(_price_fields(instrument, order.side.value, order.limit_price, order.stop_price))
    if order.order_type is OrderType.TRAILING_STOP:
        assert order.trail_offset is not None
        key = "trail_percent" if order.trail_percent else "trail_price"
        body[key] = to_plain_string(order.trail_offset)
    if extended_hours:
        body["extended_hours"] = True
    return body


def _price_fields(
    instrument: Instrument, side: str, limit_price: Decimal | None, stop_price: Decimal | None
) -> dict[str, str]:
    fields: dict[str, str] = {}
    if limit_price is not None:
        fields["limit_price"] = to_plain_string(rules.round_price(instrument, limit_price, side))
    if stop_price is not None:
        # A stop is rounded away from the market side: never triggers earlier than asked.
        opposite = "sell" if side == "buy" else "buy"
        fields["stop_price"] = to_plain_string(rules.round_price(instrument, stop_price, opposite))
    return fields


def replace_body(
    current: Mapping[str, Any],
    instrument: Instrument,
    *,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    trail: Decimal | None = None,
    tif: AlpacaTimeInForce | str | None = None,
    client_order_id: str | None = None,
) -> dict[str, Any]:
    """The ``PATCH /v2/orders/{id}`` JSON, with the same rounding and rules as a submit.

    Args:
        current: the order being replaced, as Alpaca reports it (its side, type, quantity).
        instrument: its trading rules.
        quantity: new quantity, rounded down to the lot.
        limit_price: new limit price, rounded onto Alpaca's grid (never more aggressive).
        stop_price: new stop price, likewise.
        trail: new trail (price or percent, as the order has it).
        tif: new time in force.
        client_order_id: the replacement's client order id.

    Raises:
        InvalidOrderError: nothing to change, or the replacement breaks one of Alpaca's rules.
        OrderMinimumError: the new quantity is below the instrument's minimum.
    """
    side = parse.side(current.get("side"))
    wire_type = str(current.get("type") or current.get("order_type"))
    body: dict[str, Any] = {}
    qty = parse.opt_dec(current, "qty")
    if quantity is not None:
        qty = instrument.round_quantity(quantity)
        if qty <= 0:
            raise OrderMinimumError(
                f"{instrument.symbol}: quantity {quantity} rounds to 0 "
                f"at lot step {instrument.lot_step}"
            )
        instrument.check_minimums(qty, limit_price or parse.opt_dec(current, "limit_price"))
        body["qty"] = to_plain_string(qty.normalize())
    body.update(_price_fields(instrument, side.value, limit_price, stop_price))
    if trail is not None:
        body["trail"] = to_plain_string(trail)
    # The order's own time in force, when unchanged, is checked only if it is a known value.
    tif_value = _known_tif(current.get("time_in_force"))
    if tif is not None:
        tif_value = alpaca_tif(tif)
        body["time_in_force"] = tif_value.value
    if client_order_id is not None:
        body["client_order_id"] = client_order_id
    if not body:
        raise InvalidOrderError("replace_order: give at least one field to change")
    rules.check(
        instrument.symbol,
        wire_type=wire_type,
        time_in_force=tif_value,
        fractional=rules.is_fractional(qty),
        notional=parse.opt_dec(current, "notional") is not None,
        extended_hours=bool(current.get("extended_hours")),
    )
    return body


def _known_tif(value: Any) -> AlpacaTimeInForce | None:
    try:
        return AlpacaTimeInForce(value)
    except ValueError:
        return None


class AlpacaOrderUpdate(OrderUpdate):
    """An ``OrderUpdate`` that also carries the dollar amount of a notional order.

    Alpaca gives a notional order no ``qty`` until it reports one; until then ``quantity`` is
    what has filled so far (``filled_quantity``, the part known for certain) and ``notional``
    is the amount asked for.
    """

    notional: Decimal | None = None


def order_update(payload: Mapping[str, Any]) -> AlpacaOrderUpdate:
    """An Alpaca order object -> ``AlpacaOrderUpdate`` (the payload stays in ``raw``)."""
    what = "order"
    filled = parse.dec(payload.get("filled_qty") or "0", "filled_qty")
    qty = parse.opt_dec(payload, "qty")
    wire_status = payload.get("status")
    return AlpacaOrderUpdate(
        order_id=str(parse.field(payload, "id", what)),
        client_order_id=payload.get("client_order_id"),
        symbol=str(parse.field(payload, "symbol", what)),
        side=parse.side(payload.get("side")),
        order_type=parse.order_type(payload.get("type") or payload.get("order_type")),
        status=_refine(parse.order_status(wire_status), wire_status, qty, filled),
        quantity=qty if qty is not None else filled,  # a notional order: what has filled
        filled_quantity=filled,
        limit_price=parse.opt_dec(payload, "limit_price"),
        stop_price=parse.opt_dec(payload, "stop_price"),
        average_price=parse.opt_dec(payload, "filled_avg_price"),
        created_at=parse.opt_timestamp(payload, "created_at"),
        updated_at=parse.opt_timestamp(payload, "updated_at"),
        notional=parse.opt_dec(payload, "notional"),
        raw=dict(payload),
    )


def _refine(status: OrderStatus, wire: Any, qty: Decimal | None, filled: Decimal) -> OrderStatus:
    """Say what an open-like state hides: part of it filled, or (``calculated``) all of it.

    ``pending_cancel``, ``done_for_day``, ``stopped``... keep an order open, but one that has
    already traded is partially filled; ``calculated`` is "done for the day, settlement pending",
    which for a completely filled order is a fill.
    """
    if status is not OrderStatus.OPEN or filled <= 0:
        return status
    if qty is not None and filled >= qty:
        return OrderStatus.FILLED if wire == "calculated" else status
    return OrderStatus.PARTIALLY_FILLED
