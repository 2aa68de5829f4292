"""Kraken Futures order payloads -> ``OrderUpdate`` / ``OrderAck`` / ``Fill`` (REST shapes).

Three shapes describe an order: ``openOrders[]`` rows (``order_id``, ``orderType``,
``unfilledSize``, ``filledSize``), the ``OrderJson`` inside ``orderEvents`` (``orderId``,
``type``, ``quantity``, ``filled``) and ``/orders/status`` rows (``order{...}``, ``status``
such as ``ENTERED_BOOK``). ``sendStatus`` says only that the request was assessed; what
happened is in its events (``PLACE``, ``EXECUTION``, ``CANCEL``, ``REJECT``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.errors import status_error
from src.brokers.kraken_futures.rest.parse import dec, opt_dec
from src.brokers.kraken_futures.timefmt import parse_time
from src.core.errors import MalformedResponseError
from src.core.execution import (
    Fill,
    Liquidity,
    OrderAck,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
)

__all__ = [
    "ack_from_send_status",
    "core_order_type",
    "fill_from_rest",
    "update_from_event_order",
    "update_from_open_order",
    "update_from_status_row",
]

ZERO = Decimal(0)
_LIMIT_TYPES = {"lmt", "limit", "post", "ioc", "fok", "liquidation", "assignment", "unwind"}
_STATUS_ROWS = {
    "ENTERED_BOOK": OrderStatus.OPEN,
    "FULLY_EXECUTED": OrderStatus.FILLED,
    "REJECTED": OrderStatus.REJECTED,
    "CANCELLED": OrderStatus.CANCELED,
    "TRIGGER_PLACED": OrderStatus.OPEN,
    "TRIGGER_ACTIVATION_FAILURE": OrderStatus.REJECTED,
}


def core_order_type(kind: str, limit_price: Decimal | None) -> OrderType:
    """Kraken's order type (any of its spellings) as the project's."""
    kind = kind.lower()
    if kind in ("mkt", "market"):
        return OrderType.MARKET
    if kind in _LIMIT_TYPES:
        return OrderType.LIMIT
    if kind in ("stp", "stop"):
        return OrderType.STOP_LOSS if limit_price is None else OrderType.STOP_LOSS_LIMIT
    if kind == "take_profit":
        return OrderType.TAKE_PROFIT if limit_price is None else OrderType.TAKE_PROFIT_LIMIT
    if kind == "trailing_stop":
        return OrderType.TRAILING_STOP
    raise MalformedResponseError(f"unknown Kraken Futures order type {kind!r}")


def _side(value: Any) -> Side:
    try:
        return Side(str(value).lower())
    except ValueError:
        raise MalformedResponseError(f"unknown side {value!r}") from None


def _time(value: Any) -> datetime | None:
    return parse_time(str(value)) if value else None


def _open_status(filled: Decimal) -> OrderStatus:
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN


def update_from_open_order(row: Mapping[str, Any]) -> OrderUpdate:
    """One ``openOrders[]`` row (always a live order)."""
    try:
        filled = dec(row.get("filledSize", 0), "filledSize")
        unfilled = dec(row["unfilledSize"], "unfilledSize")
        limit = opt_dec(row.get("limitPrice"), "limitPrice")
        kind = str(row.get("orderType", "lmt"))
        if kind in ("stop", "stp", "take_profit") and limit is not None and "stopPrice" not in row:
            limit = None
        return OrderUpdate(
            order_id=str(row["order_id"]),
            client_order_id=row.get("cliOrdId") or None,
            symbol=str(row["symbol"]).upper(),
            side=_side(row["side"]),
            order_type=core_order_type(kind, limit),
            status=_open_status(filled),
            quantity=filled + unfilled,
            filled_quantity=filled,
            limit_price=limit,
            stop_price=opt_dec(row.get("stopPrice"), "stopPrice"),
            created_at=_time(row.get("receivedTime")),
            updated_at=_time(row.get("lastUpdateTime")),
            raw=dict(row),
        )
    except KeyError as exc:
        raise MalformedResponseError(f"openorders: row lacks {exc}") from None


def update_from_event_order(
    order: Mapping[str, Any], status: OrderStatus | None = None, stop_price: Decimal | None = None
) -> OrderUpdate:
    """An ``OrderJson`` (inside ``orderEvents``) with the status the event implies."""
    try:
        filled = dec(order.get("filled", 0), "filled")
        quantity = dec(order["quantity"], "quantity")
        limit = opt_dec(order.get("limitPrice"), "limitPrice")
        kind = str(order.get("type", "lmt"))
        return OrderUpdate(
            order_id=str(order["orderId"]),
            client_order_id=order.get("cliOrdId") or None,
            symbol=str(order["symbol"]).upper(),
            side=_side(order["side"]),
            order_type=core_order_type(kind, None if kind in ("stp", "take_profit") else limit),
            status=status or _open_status(filled),
            quantity=quantity,
            filled_quantity=filled,
            limit_price=limit,
            stop_price=stop_price,
            created_at=_time(order.get("timestamp")),
            updated_at=_time(order.get("lastUpdateTimestamp")),
            raw=dict(order),
        )
    except KeyError as exc:
        raise MalformedResponseError(f"order event: order lacks {exc}") from None


def update_from_status_row(row: Mapping[str, Any]) -> OrderUpdate:
    """One ``/orders/status`` row (``order`` + upper-case ``status``)."""
    order = row.get("order")
    if not isinstance(order, Mapping):
        raise MalformedResponseError("orders/status: row without an order")
    status = _STATUS_ROWS.get(str(row.get("status")))
    if status is None:
        raise MalformedResponseError(f"orders/status: unknown status {row.get('status')!r}")
    filled = dec(order.get("filled", 0), "filled")
    if status is OrderStatus.OPEN:
        status = _open_status(filled)
    trigger = order.get("priceTriggerOptions") or {}
    stop = opt_dec(trigger.get("triggerPrice"), "triggerPrice")
    kind = str(order.get("orderType") or order.get("type_") or "lmt")
    if order.get("type") == "TRIGGER_ORDER" and kind == "lmt":
        kind = "stp"
    merged = {**order, "type": kind}
    return update_from_event_order(merged, status, stop_price=stop)


def _executed(events: list[Mapping[str, Any]]) -> tuple[Decimal, Decimal]:
    amount = ZERO
    cost = ZERO
    for event in events:
        if event.get("type") == "EXECUTION":
            qty = dec(event.get("amount", 0), "amount")
            amount += qty
            cost += qty * dec(event.get("price", 0), "price")
    return amount, cost


def ack_from_send_status(
    status: Mapping[str, Any], client_order_id: str, symbol: str, quantity: Decimal
) -> OrderAck:
    """The ack for one ``sendStatus`` (or ``batchStatus[]`` row) of an order we sent."""
    text = str(status.get("status", ""))
    order_id = status.get("order_id") or status.get("orderId")
    events = [e for e in status.get("orderEvents") or [] if isinstance(e, Mapping)]
    error = status_error(text, "sendorder")
    reject = next((e for e in events if e.get("type") in ("REJECT", "REJECT_TRIGGER")), None)
    if error is not None or reject is not None:
        reason = str(reject.get("reason")) if reject is not None else text
        message = f"{type(error).__name__ if error else 'rejected'}: {reason}"
        return OrderAck(
            client_order_id=client_order_id,
            order_id=order_id,
            symbol=symbol,
            status=OrderStatus.REJECTED,
            message=message,
            raw=dict(status),
        )
    filled, _ = _executed(events)
    cancelled = any(e.get("type") == "CANCEL" for e in events)
    if filled >= quantity:
        state = OrderStatus.FILLED
    elif cancelled:
        state = OrderStatus.CANCELED
    elif filled > 0:
        state = OrderStatus.PARTIALLY_FILLED
    else:
        state = OrderStatus.OPEN
    return OrderAck(
        client_order_id=client_order_id,
        order_id=None if order_id is None else str(order_id),
        symbol=symbol,
        status=state,
        raw=dict(status),
    )


def fill_from_rest(row: Mapping[str, Any], fee: Decimal, fee_currency: str) -> Fill:
    """One ``fills[]`` row; Kraken sends no fee here, so the caller prices it."""
    try:
        fill_type = str(row.get("fillType", ""))
        liquidity = (
            Liquidity.MAKER
            if fill_type == "maker"
            else Liquidity.TAKER
            if fill_type in ("taker", "takerAfterEdit", "liquidation")
            else Liquidity.UNKNOWN
        )
        return Fill(
            fill_id=str(row["fill_id"]),
            order_id=str(row["order_id"]),
            client_order_id=row.get("cliOrdId") or None,
            symbol=str(row["symbol"]).upper(),
            side=_side(row["side"]),
            quantity=dec(row["size"], "size"),
            price=dec(row["price"], "price"),
            fee=fee,
            fee_currency=fee_currency,
            liquidity=liquidity,
            timestamp=parse_time(str(row["fillTime"])),
        )
    except KeyError as exc:
        raise MalformedResponseError(f"fills: row lacks {exc}") from None
