"""Kraken-shaped JSON of the venue's records: OrderJson, open orders, fills, positions, events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.venues.kraken_futures_paper.state import VenueFill, VenueOrder
from src.venues.kraken_futures_paper.wire import iso, ms

__all__ = [
    "cancel_event",
    "fill_row",
    "open_order_row",
    "order_json",
    "place_event",
    "reject_event",
    "status_row",
    "ws_fill",
    "ws_order",
]

_WS_TYPES = {
    "lmt": "limit", "post": "limit", "ioc": "limit", "mkt": "limit", "fok": "limit",
    "stp": "stop", "take_profit": "take_profit", "trailing_stop": "trailing_stop",
}  # fmt: skip
_SIGNALS = {"mark": "mark_price", "index": "spot_price", "spot": "spot_price", "last": "last_price"}


def order_json(order: VenueOrder) -> dict[str, Any]:
    """``OrderJson`` (inside ``orderEvents``)."""
    kind = order.kind
    if kind == "mkt":
        kind = "ioc"  # a market order shows as an IOC with its protection price (ccxt capture)
    return {
        "orderId": order.order_id,
        "cliOrdId": order.cli_ord_id,
        "type": kind,
        "symbol": order.symbol,
        "side": order.side,
        "quantity": order.size,
        "filled": order.filled,
        "limitPrice": order.limit_price,
        "reduceOnly": order.reduce_only,
        "timestamp": iso(order.received),
        "lastUpdateTimestamp": iso(order.updated or order.received),
    }


def trigger_json(order: VenueOrder) -> dict[str, Any]:
    """``orderTrigger`` of a stop, take-profit or trailing order."""
    above = (order.kind == "stp") == (order.side == "buy")
    return {
        "uid": order.order_id,
        "clientId": order.cli_ord_id,
        "type": "lmt" if order.limit_price is not None else "ioc",
        "symbol": order.symbol,
        "side": order.side,
        "quantity": order.size,
        "limitPrice": order.limit_price,
        "triggerPrice": order.stop_price,
        "triggerSide": "trigger_above" if above else "trigger_below",
        "triggerSignal": _SIGNALS.get(order.trigger_signal, "mark_price"),
        "reduceOnly": order.reduce_only,
        "timestamp": iso(order.received),
        "lastUpdateTimestamp": iso(order.updated or order.received),
    }


def place_event(order: VenueOrder, reduced: Decimal | None = None) -> dict[str, Any]:
    """``PLACE`` (or ``PLACE`` with ``orderTrigger`` for a trigger order)."""
    if order.is_trigger:
        return {"type": "PLACE", "orderTrigger": trigger_json(order)}
    return {"type": "PLACE", "order": order_json(order), "reducedQuantity": reduced}


def cancel_event(order: VenueOrder) -> dict[str, Any]:
    """``CANCEL``."""
    if order.is_trigger:
        return {"type": "CANCEL", "uid": order.order_id, "orderTrigger": trigger_json(order)}
    return {"type": "CANCEL", "uid": order.order_id, "order": order_json(order)}


def reject_event(order: VenueOrder, reason: str) -> dict[str, Any]:
    """``REJECT`` with Kraken's reason (``POST_WOULD_EXECUTE``, ``IOC_WOULD_NOT_EXECUTE``)."""
    return {"type": "REJECT", "uid": order.order_id, "order": order_json(order), "reason": reason}


def open_order_row(order: VenueOrder) -> dict[str, Any]:
    """One ``openOrders[]`` row."""
    kind = {"post": "lmt", "ioc": "lmt", "mkt": "lmt", "fok": "lmt"}.get(order.kind, order.kind)
    row: dict[str, Any] = {
        "order_id": order.order_id,
        "cliOrdId": order.cli_ord_id,
        "symbol": order.symbol,
        "side": order.side,
        "orderType": "stop" if kind == "stp" else kind,
        "limitPrice": order.limit_price,
        "unfilledSize": order.unfilled,
        "receivedTime": iso(order.received),
        "status": order.status,
        "filledSize": order.filled,
        "reduceOnly": order.reduce_only,
        "lastUpdateTime": iso(order.updated or order.received),
    }
    if order.stop_price is not None:
        row["stopPrice"] = order.stop_price
        row["triggerSignal"] = "spot" if order.trigger_signal == "index" else order.trigger_signal
    return row


_STATUS = {
    "untouched": "ENTERED_BOOK", "partiallyFilled": "ENTERED_BOOK", "filled": "FULLY_EXECUTED",
    "cancelled": "CANCELLED", "rejected": "REJECTED",
}  # fmt: skip


def status_row(order: VenueOrder) -> dict[str, Any]:
    """One ``/orders/status`` row."""
    body: dict[str, Any] = {
        "type": "TRIGGER_ORDER" if order.is_trigger else "ORDER",
        "orderId": order.order_id,
        "cliOrdId": order.cli_ord_id,
        "symbol": order.symbol,
        "side": order.side,
        "quantity": order.size,
        "filled": order.filled,
        "limitPrice": order.limit_price,
        "reduceOnly": order.reduce_only,
        "timestamp": iso(order.received),
        "lastUpdateTimestamp": iso(order.updated or order.received),
        "orderType": order.kind,
    }
    status = "TRIGGER_PLACED" if order.is_trigger and order.is_open else _STATUS[order.status]
    if order.stop_price is not None:
        body["priceTriggerOptions"] = {
            "triggerPrice": order.stop_price,
            "triggerSide": trigger_json(order)["triggerSide"].upper(),
            "triggerSignal": _SIGNALS.get(order.trigger_signal, "mark_price").upper(),
        }
    return {"order": body, "status": status, "updateReason": order.reason, "error": None}


def fill_row(fill: VenueFill) -> dict[str, Any]:
    """One ``fills[]`` row (Kraken's REST fill has no fee)."""
    return {
        "fill_id": fill.fill_id,
        "symbol": fill.symbol,
        "side": fill.side,
        "order_id": fill.order_id,
        "cliOrdId": fill.cli_ord_id,
        "size": fill.size,
        "price": fill.price,
        "fillTime": iso(fill.time),
        "fillType": fill.fill_type,
    }


def ws_fill(fill: VenueFill) -> dict[str, Any]:
    """One ``fills`` feed element."""
    return {
        "instrument": fill.symbol,
        "time": ms(fill.time),
        "price": fill.price,
        "seq": fill.seq,
        "buy": fill.side == "buy",
        "qty": fill.size,
        "remaining_order_qty": fill.remaining,
        "order_id": fill.order_id,
        "cli_ord_id": fill.cli_ord_id,
        "fill_id": fill.fill_id,
        "fill_type": fill.fill_type,
        "fee_paid": fill.fee,
        "fee_currency": "BTC" if fill.fee_currency == "XBT" else fill.fee_currency,
        "taker_order_type": "ioc" if fill.fill_type == "maker" else fill.order_kind,
        "order_type": _WS_TYPES.get(fill.order_kind, "limit"),
    }


def ws_order(order: VenueOrder) -> dict[str, Any]:
    """The ``order`` object of the ``open_orders`` feed."""
    out: dict[str, Any] = {
        "instrument": order.symbol,
        "time": ms(order.received),
        "last_update_time": ms(order.updated or order.received),
        "qty": order.size,
        "filled": order.filled,
        "limit_price": order.limit_price if order.limit_price is not None else Decimal(0),
        "stop_price": order.stop_price if order.stop_price is not None else Decimal(0),
        "type": _WS_TYPES.get(order.kind, "limit"),
        "order_id": order.order_id,
        "cli_ord_id": order.cli_ord_id,
        "direction": 0 if order.side == "buy" else 1,
        "reduce_only": order.reduce_only,
    }
    if order.is_trigger:
        out["triggerSignal"] = "spot" if order.trigger_signal == "index" else order.trigger_signal
    return out
