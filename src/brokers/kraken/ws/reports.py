"""Conversions between core orders/fills and Kraken WS v2 executions and trading parameters."""

from __future__ import annotations

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
    "FINAL_ORDER_STATUSES",
    "fill_from_report",
    "order_status",
    "order_update",
]

FINAL_ORDER_STATUSES = frozenset({"filled", "canceled", "expired"})

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
    return Fill(
        fill_id=str(report["exec_id"]),
        order_id=str(report["order_id"]),
        client_order_id=order.get("cl_ord_id"),
        symbol=str(report.get("symbol") or order["symbol"]),
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
