"""Kraken WebSocket v2 frames: decoding (Decimal numbers) and the two frame shapes.

Docs: https://docs.kraken.com/api/docs/websocket-v2/ (channel messages carry ``channel``,
``type`` and ``data``; replies to requests carry ``method``, ``success``, ``result``/``error``
and the echoed ``req_id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "ChannelFrame",
    "Frame",
    "MalformedFrameError",
    "ResponseFrame",
    "decode_frame",
    "dump_json",
    "encode_request",
]


class MalformedFrameError(ValueError):
    """A frame that is not JSON or not one of the documented shapes."""


@dataclass(frozen=True, slots=True)
class ChannelFrame:
    """Channel data: ``{"channel", "type", "data", "sequence"?}``.

    ``heartbeat`` frames have no type or data.
    """

    channel: str
    type: str | None
    data: Any
    sequence: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class ResponseFrame:
    """The reply to a request (subscribe, ping, add_order, ...)."""

    method: str
    success: bool
    result: Any = None
    error: str | None = None
    req_id: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


Frame = ChannelFrame | ResponseFrame


#: Built once: ``json.loads(text, parse_float=Decimal)`` builds a new decoder for every frame.
_DECODER = json.JSONDecoder(parse_float=Decimal)


def _loads(text: str | bytes) -> Any:
    try:
        if type(text) is str:
            return _DECODER.decode(text)
        return json.loads(text, parse_float=Decimal)  # bytes: json.loads detects the encoding
    except (ValueError, TypeError, RecursionError) as exc:
        raise MalformedFrameError(f"not JSON: {exc}") from exc


def decode_frame(text: str | bytes) -> Frame:
    """Decode one frame; JSON numbers with a fraction become ``Decimal``.

    Raises:
        MalformedFrameError: the frame is not JSON or matches neither documented shape.
    """
    message = _loads(text)
    if not isinstance(message, dict):
        raise MalformedFrameError(f"expected a JSON object, got {type(message).__name__}")
    channel = message.get("channel")
    if isinstance(channel, str):
        kind = message.get("type")
        if kind is not None and not isinstance(kind, str):
            raise MalformedFrameError(f"{channel}: 'type' must be a string")
        sequence = message.get("sequence")
        if sequence is not None and (isinstance(sequence, bool) or not isinstance(sequence, int)):
            raise MalformedFrameError(f"{channel}: 'sequence' must be an integer")
        return ChannelFrame(channel, kind, message.get("data"), sequence, message)
    method = message.get("method")
    if isinstance(method, str):
        req_id = message.get("req_id")
        if req_id is not None and (isinstance(req_id, bool) or not isinstance(req_id, int)):
            raise MalformedFrameError(f"{method}: 'req_id' must be an integer")
        error = message.get("error")
        success = message.get("success")
        if method == "pong":
            success = True if success is None else success
        if not isinstance(success, bool):
            raise MalformedFrameError(f"{method}: 'success' must be a boolean")
        return ResponseFrame(
            method,
            success,
            message.get("result"),
            error if isinstance(error, str) else None if error is None else str(error),
            req_id,
            message,
        )
    raise MalformedFrameError("frame has neither 'channel' nor 'method'")


def encode_request(method: str, params: dict[str, Any] | None, req_id: int | None) -> str:
    """Encode a request; ``Decimal`` values are written as exact JSON numbers (never via float)."""
    message: dict[str, Any] = {"method": method}
    if params is not None:
        message["params"] = params
    if req_id is not None:
        message["req_id"] = req_id
    return dump_json(message)


_MARK = "\x00"  # stands in for each Decimal while the C encoder writes the rest
_MARKED = json.dumps(_MARK)  # how the mark comes out: "\u0000" in quotes


def dump_json(value: Any) -> str:
    """Compact JSON in which a ``Decimal`` is written as its exact decimal text.

    The C encoder writes everything but the Decimals, each of which it asks ``mark`` for (in
    output order) and writes as a mark that the exact text then replaces: one pass in C, not a
    Python call per value. Anything unusual (a mark already in the data, a non-finite or
    non-Decimal object, keys that are not text) goes to the recursive encoder, which is the
    reference for the output and the errors.
    """
    numbers: list[str] = []

    def mark(obj: Any) -> str:
        if type(obj) is not Decimal or not obj.is_finite():
            raise TypeError("the recursive encoder decides")
        numbers.append(format(obj, "f"))
        return _MARK

    try:
        text = json.dumps(value, separators=(",", ":"), default=mark)
    except (TypeError, ValueError):
        return _dump_slow(value)
    parts = text.split(_MARKED)
    if len(parts) != len(numbers) + 1 or not _text_keys(value):
        return _dump_slow(value)
    if not numbers:
        return text
    out = [parts[0]]
    for number, part in zip(numbers, parts[1:], strict=True):
        out.append(number)
        out.append(part)
    return "".join(out)


def _text_keys(value: Any) -> bool:
    # The recursive encoder writes str(key); the C one writes true, null... for such keys.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if type(key) is not str:
                    return False
                if isinstance(child, dict | list | tuple):
                    stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(child for child in item if isinstance(child, dict | list | tuple))
    return True


def _dump_slow(value: Any) -> str:
    """Compact JSON in which a ``Decimal`` is written as its exact decimal text (recursive)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send a non-finite number: {value}")
        return format(value, "f")
    if isinstance(value, dict):
        items = (json.dumps(str(k)) + ":" + _dump_slow(v) for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_dump_slow(v) for v in value) + "]"
    return json.dumps(value)
