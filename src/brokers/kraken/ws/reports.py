"""Conversions between core orders/fills and Kraken WS v2 executions and trading parameters.

``report_problem`` says what is wrong with an executions report before anything is merged or
turned into a fill, so a malformed report is refused whole (and the stream reconciles) rather
than half-read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from src.brokers.kraken.ws.market_models import parse_time
from src.core.execution import (
    Fill,
    Liquidity,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    utc_now,
)

__all__ = [
    "EXEC_TYPES",
    "FINAL_ORDER_STATUSES",
    "fill_from_report",
    "order_status",
    "order_update",
    "report_problem",
]

FINAL_ORDER_STATUSES = frozenset({"filled", "canceled", "expired"})
#: Kraken's documented ``exec_type`` values (websocket-v2/executions).
EXEC_TYPES = frozenset(
    {"pending_new", "new", "trade", "filled", "iceberg_refill", "canceled", "expired",
     "amended", "restated", "status"}
)  # fmt: skip

_STATUS = {
    "pending_new": OrderStatus.PENDING,
    "new": OrderStatus.OPEN,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "triggered": OrderStatus.OPEN,
}


def order_status(value: Any, default: OrderStatus = OrderStatus.UNKNOWN) -> OrderStatus:
    """WS v2 ``order_status`` as a core OrderStatus (``default`` for a missing/unknown value)."""
    return _STATUS.get(str(value), default)


_TEXT_FIELDS = ("symbol", "side", "order_type", "cl_ord_id", "liquidity_ind")
_NON_EMPTY = frozenset({"symbol", "order_type", "cl_ord_id"})  # identifiers: "" names nothing
# never negative; limit_price is only checked to be a number (it may be an offset)
_NON_NEGATIVE = ("order_qty", "cum_qty", "display_qty", "avg_price", "cum_cost", "cost",
                 "fee_usd_equiv")  # fmt: skip
_ANY_NUMBER = ("limit_price",)
Check = Callable[[Mapping[str, Any]], "str | None"]


def _number_problem(value: Any, field: str, *, sign: str = "any") -> str | None:
    """What is wrong with a number; ``sign`` is "any", "non-negative" or "positive"."""
    kind = type(value)
    usual = (kind is Decimal and value.is_finite()) or kind is int  # decided without a copy
    if usual and (sign == "any" or (value > 0 if sign == "positive" else value >= 0)):
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        return f"{field}: expected a number, got {value!r}"
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return f"{field}: not a finite number: {value!r}"
    if (sign == "non-negative" and number < 0) or (sign == "positive" and number <= 0):
        return f"{field}: must be {sign}, got {value!r}"
    return None


def _ids(report: Mapping[str, Any]) -> str | None:
    order_id = report.get("order_id")
    if not isinstance(order_id, str) or not order_id:
        return f"order_id: expected the order id as text, got {order_id!r}"
    exec_type = report.get("exec_type")
    if not isinstance(exec_type, str) or exec_type not in EXEC_TYPES:
        return f"exec_type: unknown value {exec_type!r}"
    status = report.get("order_status")
    if status is not None and (not isinstance(status, str) or status not in _STATUS):
        return f"order_status: unknown value {status!r}"
    return None


def _texts(report: Mapping[str, Any]) -> str | None:
    for field in _TEXT_FIELDS:
        value = report.get(field)
        if value is not None and (
            not isinstance(value, str) or (field in _NON_EMPTY and not value)
        ):
            return f"{field}: expected text, got {value!r}"
    if report.get("side") not in (None, "buy", "sell"):
        return f"side: expected buy or sell, got {report['side']!r}"
    stamp = report.get("timestamp")
    try:
        if stamp is not None:
            parse_time(stamp)
    except ValueError:
        return f"timestamp: expected RFC3339 text, got {stamp!r}"
    return None


_NUMBER_CHECKS = tuple((f, "non-negative") for f in _NON_NEGATIVE) + tuple(
    (f, "any") for f in _ANY_NUMBER
)


def _numbers(report: Mapping[str, Any]) -> str | None:
    for field, sign in _NUMBER_CHECKS:
        value = report.get(field)
        if value is not None:
            problem = _number_problem(value, field, sign=sign)
            if problem is not None:
                return problem
    return None


def _fill(report: Mapping[str, Any]) -> str | None:
    if report.get("exec_type") != "trade" and "exec_id" not in report:
        return None  # not a fill
    exec_id = report.get("exec_id")
    if not isinstance(exec_id, str) or not exec_id:
        return f"exec_id: expected the trade id as text, got {exec_id!r}"
    missing = [f for f in ("last_qty", "last_price") if f not in report]
    if missing:
        return f"{missing[0]}: missing on a trade"
    problem = _number_problem(report["last_qty"], "last_qty", sign="positive")
    problem = problem or _number_problem(report["last_price"], "last_price", sign="positive")
    fees = report.get("fees")
    if problem is not None or fees is None:
        return problem
    if not isinstance(fees, list):
        return f"fees: expected a list, got {fees!r}"
    for fee in fees:
        if not isinstance(fee, Mapping) or not isinstance(fee.get("asset"), str):
            return f"fees: expected objects with an asset, got {fee!r}"
        problem = problem or _number_problem(fee.get("qty"), "fees.qty")
    return problem


_CHECKS: tuple[Check, ...] = (_ids, _texts, _numbers, _fill)


def report_problem(report: Mapping[str, Any]) -> str | None:
    """What makes an executions report unreadable, or None when it can be applied.

    Checks the fields this client reads: ids and enumerations are text from Kraken's lists,
    numbers are finite numbers (quantities not negative), the timestamp is RFC3339, and a
    trade carries its ``exec_id``, ``last_qty`` and ``last_price``. Fields it does not read are
    not judged, so a field Kraken adds is no problem.
    """
    for check in _CHECKS:
        problem = check(report)
        if problem is not None:
            return problem
    return None


def _dec(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{field}: expected a number, got {value!r}")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def fill_from_report(report: dict[str, Any], order: dict[str, Any]) -> Fill:
    """A ``Fill`` from a ``trade`` executions report (order fields from the merged state)."""
    fees = report.get("fees") or []
    fee = sum((_dec(f.get("qty"), "fees.qty") for f in fees if isinstance(f, dict)), Decimal(0))
    fee_ccy = next((str(f["asset"]) for f in fees if isinstance(f, dict) and "asset" in f), "")
    liquidity = {"m": Liquidity.MAKER, "t": Liquidity.TAKER}.get(
        str(report.get("liquidity_ind")), Liquidity.UNKNOWN
    )
    stamp = report.get("timestamp") or order.get("timestamp")
    symbol = report.get("symbol") or order.get("symbol")
    if not isinstance(symbol, str) or not symbol:  # neither the report nor earlier ones say
        raise ValueError(f"symbol: not reported for order {report.get('order_id')!r}")
    return Fill(
        fill_id=str(report["exec_id"]),
        order_id=str(report["order_id"]),
        client_order_id=order.get("cl_ord_id"),
        symbol=symbol,
        side=Side(str(report.get("side") or order["side"])),
        quantity=_dec(report.get("last_qty"), "last_qty"),
        price=_dec(report.get("last_price"), "last_price"),
        fee=fee,
        fee_currency=fee_ccy,
        liquidity=liquidity,
        timestamp=parse_time(stamp) if stamp else utc_now(),
    )


def order_update(state: dict[str, Any]) -> OrderUpdate | None:
    """An ``OrderUpdate`` from an order's merged executions state (None while incomplete)."""
    try:
        stamp = state.get("timestamp")
        limit = state.get("limit_price")
        avg = state.get("avg_price")
        return OrderUpdate(
            order_id=str(state["order_id"]),
            client_order_id=state.get("cl_ord_id"),
            symbol=str(state["symbol"]),
            side=Side(str(state["side"])),
            order_type=OrderType(str(state["order_type"])),
            status=order_status(state.get("order_status")),
            quantity=_dec(state["order_qty"], "order_qty"),
            filled_quantity=_dec(state.get("cum_qty", 0), "cum_qty"),
            limit_price=None if limit is None else _dec(limit, "limit_price"),
            average_price=None if not avg else _dec(avg, "avg_price"),
            updated_at=parse_time(stamp) if stamp else None,
            raw=dict(state),
        )
    except (KeyError, ValueError, TypeError):
        return None  # minimal reports (e.g. "new") arrive before the order's full fields
