"""WS v2 wire helpers for the paper exchange: JSON with exact Decimal numbers, replies, times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

__all__ = ["encode", "encode_reference", "error_reply", "kraken_order", "ok_reply", "rfc3339"]


def rfc3339(epoch: float) -> str:
    """Epoch seconds as Kraken's RFC3339 text with microseconds (``...Z``)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write(value: Any, out: list[str]) -> None:
    # Kraken sends prices and quantities as JSON numbers; writing the Decimal's own digits keeps
    # every one of them (json.dumps would route a Decimal through float).
    if isinstance(value, Decimal):
        out.append(format(value, "f"))
    elif isinstance(value, dict):
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(k)))
            out.append(":")
            _write(v, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    else:
        out.append(json.dumps(value))


def encode_reference(message: dict[str, Any]) -> str:
    """Serialize one outgoing frame, one Python call per value: what ``encode`` must equal."""
    out: list[str] = []
    _write(message, out)
    return "".join(out)


_MARK = "\x00"  # stands in for each Decimal while the C encoder writes the rest
_MARKED = json.dumps(_MARK)  # the mark as written: "\u0000" in quotes
_ENCODER_SEPARATORS = (",", ":")


def encode(message: dict[str, Any]) -> str:
    """Serialize one outgoing frame: compact JSON, each ``Decimal`` as its exact digits.

    One pass of the C encoder writes a mark for each Decimal (asked for in output order), and
    the marks are then replaced by the digits: the recursive ``encode_reference`` cost about
    30 us a report, ahead of the reply on a socket with executions. Anything the marks cannot
    stand for (a mark-like string in the data, keys that are not text, another object) is
    written by ``encode_reference``, which also raises its errors.
    """
    numbers: list[str] = []

    def mark(obj: Any) -> str:
        if type(obj) is not Decimal:
            raise TypeError("the reference encoder decides")
        numbers.append(format(obj, "f"))
        return _MARK

    try:
        text = json.dumps(message, separators=_ENCODER_SEPARATORS, default=mark)
    except (TypeError, ValueError):
        return encode_reference(message)
    parts = text.split(_MARKED)
    if len(parts) != len(numbers) + 1 or not _text_keys(message):
        return encode_reference(message)
    if not numbers:
        return text
    out = [parts[0]]
    for number, part in zip(numbers, parts[1:], strict=True):
        out.append(number)
        out.append(part)
    return "".join(out)


def _text_keys(value: Any) -> bool:
    # The reference writes str(key); the C encoder writes true, null, 1.5... for such keys.
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            for key, child in item.items():
                if type(key) is not str:
                    return False
                if isinstance(child, dict | list | tuple):
                    stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(child for child in item if isinstance(child, dict | list | tuple))
        elif isinstance(item, dict):  # a dict subclass: the reference decides
            return False
    return True


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
