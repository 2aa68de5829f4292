"""WS v2 wire helpers for the paper exchange: JSON with exact Decimal numbers, replies, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Kraken sends prices and quantities as JSON numbers: each Decimal goes out as its own digits.
from src.utils.exact_json import dumps as encode

__all__ = ["encode", "error_reply", "kraken_order", "ok_reply", "rfc3339"]


def rfc3339(epoch: float) -> str:
    """Epoch seconds as Kraken's RFC3339 text with microseconds (``...Z``)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def kraken_order(value: Any) -> Any:
    """``value`` with every object's keys in Kraken's order: sorted, at every depth.

    Kraken writes its replies with sorted keys (``error, method, req_id, result, success,
    symbol, time_in, time_out``; inside ``result`` too), as every recorded reply shows;
    clients that compare or log raw frames see the same text here.
    """
    if isinstance(value, dict):
        return {k: kraken_order(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [kraken_order(v) for v in value]
    return value


def ok_reply(
    method: str, result: Any, req_id: Any, time_in: float, time_out: float
) -> dict[str, Any]:
    """A successful reply to a request."""
    reply: dict[str, Any] = {"method": method, "success": True}
    if result is not None:
        reply["result"] = result
    reply["time_in"] = rfc3339(time_in)
    reply["time_out"] = rfc3339(time_out)
    if req_id is not None:
        reply["req_id"] = req_id
    ordered: dict[str, Any] = kraken_order(reply)
    return ordered


def error_reply(
    method: str, error: str, req_id: Any, time_in: float, time_out: float, **extra: Any
) -> dict[str, Any]:
    """A failed reply: ``success`` false and a single ``error`` string."""
    reply: dict[str, Any] = {"error": error, "method": method, "success": False, **extra}
    reply["time_in"] = rfc3339(time_in)
    reply["time_out"] = rfc3339(time_out)
    if req_id is not None:
        reply["req_id"] = req_id
    ordered: dict[str, Any] = kraken_order(reply)
    return ordered
