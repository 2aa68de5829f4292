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

from src.utils.exact_json import dumps as dump_json

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
