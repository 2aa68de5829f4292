"""Amend, edit and cancel requests: part of the one Kraken order encoder.

``orders/encoding.py`` re-exports every name here; values are rounded as ``encode_order``
rounds them. Docs: rest-api/amend-order, edit-order, cancel-order; websocket-v2/amend_order,
edit_order, cancel_order, cancel_all, cancel_after.
"""

from __future__ import annotations

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
from src.core.decimals import to_decimal
from src.core.errors import InvalidOrderError
from src.core.instruments import Instrument


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
