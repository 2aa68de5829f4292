"""The one Kraken order encoder: an ``Order`` (or an amend, edit, cancel) as Kraken's fields.

Every value is rounded and checked once, here, into a ``KrakenCall`` that renders both ways:
REST form fields (``AddOrder``: ``pair``, ``type``, ``ordertype``, ``volume``, ``price``...) and
WebSocket v2 parameters (``add_order``: ``symbol``, ``side``, ``order_type``, ``order_qty``,
``limit_price``, ``triggers``...). Prices are rounded to the tick, never in the aggressive
direction (buys down, sells up); trigger prices to the nearest tick; volumes down to the lot;
the client order id is validated against Kraken's forms. So the two transports cannot differ.
Docs: rest-api/add-order, amend-order, edit-order; websocket-v2/add_order, amend_order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from src.core.decimals import to_decimal, to_plain_string
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, TimeInForce
from src.core.instruments import Instrument

__all__ = [
    "KrakenCall",
    "OrderFields",
    "cancel_all_after_call",
    "cancel_all_call",
    "cancel_call",
    "check_client_order_id",
    "encode_amend",
    "encode_edit",
    "encode_order",
    "round_limit",
    "round_trigger",
]

_UUID_LONG = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_UUID_SHORT = re.compile(r"^[0-9a-fA-F]{32}$")
_CASH_PLACES = Decimal(1).scaleb(-8)  # a quote-sized volume keeps Kraken's 8 decimals


def check_client_order_id(value: str) -> str:
    """Kraken's ``cl_ord_id`` forms: long UUID, 32-hex short UUID, or ≤ 18 printable ASCII chars.

    Raises:
        InvalidOrderError: any other form (Kraken would refuse the order).
    """
    if _UUID_LONG.match(value) or _UUID_SHORT.match(value):
        return value
    if len(value) <= 18 and value.isascii() and value.isprintable():
        return value
    raise InvalidOrderError(
        f"client_order_id {value!r}: Kraken accepts a UUID (36 chars or 32 hex) or at most "
        "18 ASCII characters"
    )


def round_limit(price: Decimal, inst: Instrument | None, side: str | None) -> Decimal:
    """A limit price on the tick, never more aggressive; nearest tick when the side is unknown."""
    if inst is None:
        return price
    if side is None:
        return round_trigger(price, inst)
    return inst.round_price(price, side)


def round_trigger(price: Decimal, inst: Instrument | None) -> Decimal:
    """A trigger price on the nearest tick (a trigger has no aggressive direction)."""
    if inst is None:
        return price
    return (price / inst.price_tick).to_integral_value(ROUND_HALF_EVEN) * inst.price_tick


def _qty(value: Decimal, inst: Instrument | None) -> Decimal:
    return value if inst is None else inst.round_quantity(value)


def _s(value: Decimal) -> str:
    return to_plain_string(value)


@dataclass(frozen=True)
class KrakenCall:
    """One order request, rendered for both transports.

    Attributes:
        rest_method: the REST endpoint ("AddOrder").
        rest: its form fields, every value a plain string.
        ws_method: the WS v2 method ("add_order"), or None when WS v2 cannot carry it.
        ws: the WS v2 ``params`` (numbers as Decimal), or None.
        pair: Kraken's altname the call trades on ("" when not tied to one pair).
    """

    rest_method: str
    rest: dict[str, Any]
    ws_method: str | None = None
    ws: dict[str, Any] | None = None
    pair: str = ""


@dataclass(frozen=True)
class OrderFields:
    """An ``Order`` in Kraken's terms, rounded and checked; ``call()`` renders it.

    ``volume`` is in base units, or in quote units when ``cash`` (Kraken's ``viqc``).
    """

    pair: str
    symbol: str
    side: str
    order_type: OrderType
    cl_ord_id: str
    volume: Decimal
    cash: bool = False
    limit_price: Decimal | None = None
    trigger_price: Decimal | None = None
    trail_offset: Decimal | None = None
    trail_percent: bool = False
    post_only: bool = False
    reduce_only: bool = False
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: datetime | None = None
    leverage: Decimal | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def reference_price(self) -> Decimal | None:
        """The price an order's cost is checked at (None for market and trailing orders)."""
        if self.order_type is OrderType.TRAILING_STOP:
            return None
        return self.limit_price or self.trigger_price

    def rest(self) -> dict[str, str]:
        """AddOrder form fields."""
        p: dict[str, str] = {
            "pair": self.pair,
            "type": self.side,
            "ordertype": self.order_type.value,
            "cl_ord_id": self.cl_ord_id,
            "volume": _s(self.volume),
        }
        if self.order_type is OrderType.TRAILING_STOP and self.trail_offset is not None:
            p["price"] = f"+{_s(self.trail_offset)}" + ("%" if self.trail_percent else "")
        elif self.trigger_price is not None:
            p["price"] = _s(self.trigger_price)
            if self.limit_price is not None:
                p["price2"] = _s(self.limit_price)
        elif self.limit_price is not None:
            p["price"] = _s(self.limit_price)
        oflags = [f for f, on in (("viqc", self.cash), ("post", self.post_only)) if on]
        if oflags:
            p["oflags"] = ",".join(oflags)
        if self.time_in_force is not TimeInForce.GTC:
            p["timeinforce"] = self.time_in_force.value
        if self.expire_at is not None:
            p["expiretm"] = str(int(self.expire_at.timestamp()))
        if self.reduce_only:
            p["reduce_only"] = "true"
        if self.leverage is not None:
            p["leverage"] = _s(self.leverage)
        return p

    def ws(self) -> dict[str, Any] | None:
        """WS v2 ``add_order`` params, or None when WS v2 has no field for this order."""
        if self.leverage is not None:
            return None  # WS v2 add_order has no leverage: margin orders stay on REST
        p: dict[str, Any] = {
            "order_type": self.order_type.value,
            "side": self.side,
            "symbol": self.symbol,
            "cl_ord_id": self.cl_ord_id,
            "cash_order_qty" if self.cash else "order_qty": self.volume,
        }
        if self.order_type is OrderType.TRAILING_STOP and self.trail_offset is not None:
            kind = "pct" if self.trail_percent else "quote"
            p["triggers"] = {"price": self.trail_offset, "price_type": kind}
        elif self.trigger_price is not None:
            p["triggers"] = {"reference": "last", "price": self.trigger_price}
            p["triggers"]["price_type"] = "static"
        if self.limit_price is not None:
            p["limit_price"] = self.limit_price
        if self.post_only:
            p["post_only"] = True
        if self.time_in_force is not TimeInForce.GTC:
            p["time_in_force"] = self.time_in_force.value.lower()
        if self.expire_at is not None:
            p["expire_time"] = self.expire_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.reduce_only:
            p["reduce_only"] = True
        return p

    def call(self) -> KrakenCall:
        """The AddOrder / add_order request."""
        return KrakenCall("AddOrder", self.rest(), "add_order", self.ws(), self.pair)


def _check(order: Order, inst: Instrument | None, fields: OrderFields) -> None:
    if inst is None:
        return
    if fields.cash:
        # A quote-sized buy's cost is its notional; its size is checked at the ticker later.
        if inst.min_cost > 0 and fields.volume < inst.min_cost:
            raise OrderMinimumError(
                f"{inst.symbol}: notional {_s(order.notional or fields.volume)} {inst.quote} "
                "is below "
                f"the minimum cost {_s(inst.min_cost)} {inst.quote}"
            )
        return
    if fields.volume <= 0:
        raise OrderMinimumError(
            f"{inst.symbol}: quantity {order.quantity} rounds to 0 at lot step {inst.lot_step}; "
            f"the minimum order size is {inst.min_quantity} {inst.base}"
        )
    # A market order has no price: its cost is checked at the ticker (market_minimums).
    inst.check_minimums(fields.volume, fields.reference_price)


def encode_order(order: Order, inst: Instrument | None, pair: str | None = None) -> OrderFields:
    """Round and check ``order`` for ``inst`` (``pair``: Kraken altname) once, for any transport.

    With no instrument (a caller of the WS order manager that has none) values pass as given.

    Raises:
        OrderMinimumError: the rounded order is below the pair's minimum size or cost.
        InvalidOrderError: the client order id, or a combination Kraken cannot take.
    """
    side = order.side.value
    if order.notional is not None:
        if order.order_type is not OrderType.MARKET or side != "buy":
            raise InvalidOrderError(
                "notional: Kraken takes a quote-currency volume only on market buys"
            )
        volume, cash = order.notional.quantize(_CASH_PLACES), True
    else:
        assert order.quantity is not None  # the Order validator guarantees one of the two
        volume, cash = _qty(order.quantity, inst), False
    otype = order.order_type
    trigger = order.stop_price if otype.needs_stop_price else None
    offset = order.trail_offset if otype is OrderType.TRAILING_STOP else None
    if offset is not None and not order.trail_percent:
        offset = round_trigger(offset, inst)
    fields = OrderFields(
        pair=pair or (inst.symbol if inst is not None else order.symbol),
        symbol=inst.symbol if inst is not None else order.symbol,
        side=side,
        order_type=otype,
        cl_ord_id=check_client_order_id(order.client_order_id),
        volume=volume,
        cash=cash,
        limit_price=None
        if order.limit_price is None
        else round_limit(order.limit_price, inst, side),
        trigger_price=None if trigger is None else round_trigger(trigger, inst),
        trail_offset=offset,
        trail_percent=order.trail_percent,
        post_only=order.post_only,
        reduce_only=order.reduce_only,
        time_in_force=order.time_in_force,
        expire_at=order.expire_at,
        leverage=order.leverage,
    )
    _check(order, inst, fields)
    return fields


def _ident(order_id: str | None, client_order_id: str | None, what: str) -> dict[str, str]:
    if (order_id is None) == (client_order_id is None):
        raise InvalidOrderError(f"{what}: give exactly one of order_id or client_order_id")
    if order_id is not None:
        return {"txid": order_id}
    assert client_order_id is not None
    return {"cl_ord_id": check_client_order_id(client_order_id)}


def _ws_ident(ident: dict[str, str]) -> dict[str, str]:
    return {"order_id": ident["txid"]} if "txid" in ident else dict(ident)


def encode_amend(
    order_id: str | None,
    client_order_id: str | None,
    *,
    inst: Instrument | None,
    side: str | None,
    pair: str = "",
    quantity: Decimal | float | str | None = None,
    limit_price: Decimal | float | str | None = None,
    trigger_price: Decimal | float | str | None = None,
    post_only: bool | None = None,
) -> KrakenCall:
    """AmendOrder / amend_order, rounded as ``encode_order`` rounds (floats are converted)."""
    ident = _ident(order_id, client_order_id, "amend_order")
    values: dict[str, Decimal] = {}
    if quantity is not None:
        values["order_qty"] = _qty(to_decimal(quantity, field="quantity"), inst)
    if limit_price is not None:
        price = to_decimal(limit_price, field="limit_price")
        values["limit_price"] = round_limit(price, inst, side)
    if trigger_price is not None:
        values["trigger_price"] = round_trigger(
            to_decimal(trigger_price, field="trigger_price"), inst
        )
    rest: dict[str, Any] = {**ident, **{k: _s(v) for k, v in values.items()}}
    ws: dict[str, Any] = {**_ws_ident(ident), **values}
    if post_only is not None:
        rest["post_only"] = "true" if post_only else "false"
        ws["post_only"] = post_only
    return KrakenCall("AmendOrder", rest, "amend_order", ws, pair)


def encode_edit(
    order_id: str,
    *,
    inst: Instrument,
    pair: str,
    side: str | None,
    quantity: Decimal | float | str | None = None,
    limit_price: Decimal | float | str | None = None,
    limit_price2: Decimal | float | str | None = None,
) -> KrakenCall:
    """EditOrder / edit_order (cancel and replace); a second price keeps it on REST."""
    rest: dict[str, Any] = {"txid": order_id, "pair": pair}
    ws: dict[str, Any] = {"order_id": order_id, "symbol": inst.symbol}
    if quantity is not None:
        qty = _qty(to_decimal(quantity, field="quantity"), inst)
        rest["volume"], ws["order_qty"] = _s(qty), qty
    if limit_price is not None:
        price = round_limit(to_decimal(limit_price, field="limit_price"), inst, side)
        rest["price"], ws["limit_price"] = _s(price), price
    if limit_price2 is not None:
        price2 = round_limit(to_decimal(limit_price2, field="limit_price2"), inst, side)
        rest["price2"] = _s(price2)
    return KrakenCall("EditOrder", rest, None if "price2" in rest else "edit_order", ws, pair)


def cancel_call(order_id: str | None, client_order_id: str | None, pair: str = "") -> KrakenCall:
    """CancelOrder / cancel_order by txid or client order id."""
    ident = _ident(order_id, client_order_id, "cancel_order")
    ws = {k: [v] for k, v in _ws_ident(ident).items()}
    return KrakenCall("CancelOrder", ident, "cancel_order", ws, pair)


def cancel_all_call() -> KrakenCall:
    """CancelAll / cancel_all."""
    return KrakenCall("CancelAll", {}, "cancel_all", {})


def cancel_all_after_call(timeout: int) -> KrakenCall:
    """CancelAllOrdersAfter / cancel_all_orders_after: the dead man's switch (0 disarms).

    Raises:
        InvalidOrderError: a timeout outside 0..86399 seconds.
    """
    seconds = int(timeout)
    if not 0 <= seconds < 86400:
        raise InvalidOrderError(f"timeout {timeout}: must be 0 (disable) to 86399 seconds")
    params = {"timeout": seconds}
    return KrakenCall("CancelAllOrdersAfter", params, "cancel_all_orders_after", dict(params))
