"""The one Kraken order encoder: an ``Order`` (or an amend, edit, cancel) as Kraken's fields.

Every value is rounded and checked once, here, into a ``KrakenCall`` that renders both ways:
REST form fields (``AddOrder``: ``pair``, ``type``, ``ordertype``, ``volume``, ``price``...) and
WebSocket v2 parameters (``add_order``: ``symbol``, ``side``, ``order_type``, ``order_qty``,
``limit_price``, ``triggers``...). Prices are rounded to the tick, never in the aggressive
direction (buys down, sells up); trigger prices to the nearest tick; volumes down to the lot;
the client order id is validated against Kraken's forms. So the two transports cannot differ.
Amends, edits and cancels are in ``encoding_changes.py`` and the shared rounding in
``encoding_base.py``; this module re-exports both.
Docs: rest-api/add-order, amend-order, edit-order; websocket-v2/add_order, amend_order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.brokers.kraken.orders.encoding_base import (
    KrakenCall,
    _qty,
    _s,
    check_client_order_id,
    round_limit,
    round_trigger,
)
from src.brokers.kraken.orders.encoding_changes import (
    cancel_all_after_call,
    cancel_all_call,
    cancel_call,
    encode_amend,
    encode_edit,
)
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, TimeInForce
from src.core.instruments import Instrument

_CASH_PLACES = Decimal(1).scaleb(-8)  # a quote-sized volume keeps Kraken's 8 decimals

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
    close_type: OrderType | None = None
    close_limit: Decimal | None = None
    close_trigger: Decimal | None = None
    display_qty: Decimal | None = None
    stp: str | None = None  # cancel_newest | cancel_oldest | cancel_both (WS spelling)
    start_at: datetime | None = None
    deadline: datetime | None = None

    @property
    def kraken_type(self) -> str:
        """Kraken's ``ordertype``: a limit with a shown size is an ``iceberg``."""
        return "iceberg" if self.display_qty is not None else self.order_type.value

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
            "ordertype": self.kraken_type,
            "cl_ord_id": self.cl_ord_id,
            "volume": _s(self.volume),
            **self._rest_prices(),
        }
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
        if self.close_type is not None:
            p.update(self._rest_close())
        p.update(self._rest_options())
        return p

    def _rest_options(self) -> dict[str, str]:
        """``displayvol``, ``stptype`` (dashes), ``starttm`` (unix), ``deadline`` (RFC3339)."""
        out: dict[str, str] = {}
        if self.display_qty is not None:
            out["displayvol"] = _s(self.display_qty)
        if self.stp is not None:
            out["stptype"] = self.stp.replace("_", "-")
        if self.start_at is not None:
            out["starttm"] = str(int(self.start_at.timestamp()))
        if self.deadline is not None:
            out["deadline"] = _rfc3339(self.deadline)
        return out

    def _ws_options(self) -> dict[str, Any]:
        """``display_qty``, ``stp_type``, ``effective_time`` and ``deadline``."""
        out: dict[str, Any] = {}
        if self.display_qty is not None:
            out["display_qty"] = self.display_qty
        if self.stp is not None:
            out["stp_type"] = self.stp
        if self.start_at is not None:
            out["effective_time"] = _rfc3339(self.start_at)
        if self.deadline is not None:
            out["deadline"] = _rfc3339(self.deadline)
        return out

    def _rest_prices(self) -> dict[str, str]:
        """``price`` (limit, trigger or ``+offset`` trail) and ``price2`` (a stop's limit)."""
        if self.order_type is OrderType.TRAILING_STOP and self.trail_offset is not None:
            return {"price": f"+{_s(self.trail_offset)}" + ("%" if self.trail_percent else "")}
        if self.trigger_price is not None:
            p = {"price": _s(self.trigger_price)}
            if self.limit_price is not None:
                p["price2"] = _s(self.limit_price)
            return p
        return {} if self.limit_price is None else {"price": _s(self.limit_price)}

    def _rest_close(self) -> dict[str, str]:
        """``close[ordertype]``, ``close[price]``, ``close[price2]``.

        For a triggered close the trigger is ``price`` and the limit ``price2``, as on the
        order itself.
        """
        assert self.close_type is not None
        prices = [v for v in (self.close_trigger, self.close_limit) if v is not None]
        out = {"close[ordertype]": self.close_type.value, "close[price]": _s(prices[0])}
        if len(prices) > 1:
            out["close[price2]"] = _s(prices[1])
        return out

    def _ws_close(self) -> dict[str, Any]:
        """WS v2 ``conditional``: ``order_type`` and its ``limit_price``/``trigger_price``."""
        assert self.close_type is not None
        out: dict[str, Any] = {"order_type": self.close_type.value}
        if self.close_limit is not None:
            out["limit_price"] = self.close_limit
        if self.close_trigger is not None:
            out["trigger_price"] = self.close_trigger
        return out

    def ws(self) -> dict[str, Any] | None:
        """WS v2 ``add_order`` params, or None when WS v2 has no field for this order."""
        if self.leverage is not None:
            return None  # WS v2 add_order has no leverage: margin orders stay on REST
        p: dict[str, Any] = {
            "order_type": self.kraken_type,
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
        if self.close_type is not None:
            p["conditional"] = self._ws_close()
        p.update(self._ws_options())
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
        **_close_fields(order, inst, "sell" if side == "buy" else "buy"),
        display_qty=None if order.display_quantity is None else _qty(order.display_quantity, inst),
        stp=None if order.self_trade_prevention is None else order.self_trade_prevention.value,
        start_at=order.start_at,
        deadline=order.deadline,
    )
    _check(order, inst, fields)
    return fields


def _rfc3339(when: datetime) -> str:
    """RFC3339 with milliseconds, as Kraken's ``deadline`` takes it."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _close_fields(order: Order, inst: Instrument | None, close_side: str) -> dict[str, Any]:
    """The close terms, rounded as the close order's own prices would be.

    A limit is never more aggressive for the close's side (the opposite one); a trigger goes
    to the nearest tick.
    """
    if order.close_order_type is None:
        return {}
    limit, trigger = order.close_limit_price, order.close_stop_price
    return {
        "close_type": order.close_order_type,
        "close_limit": None if limit is None else round_limit(limit, inst, close_side),
        "close_trigger": None if trigger is None else round_trigger(trigger, inst),
    }
