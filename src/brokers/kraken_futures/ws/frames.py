"""WebSocket v1 frames: decode (numbers as Decimal), tell events from feed messages, build requests.

Events carry ``event`` (``info``, ``challenge``, ``subscribed``, ``error``...); feed messages
carry ``feed`` (``book_snapshot``, ``book``, ``fills``...). Requests are JSON objects.
https://docs.kraken.com/api/docs/guides/futures-websockets
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["MalformedFrameError", "decode", "encode", "subscribe_message"]


class MalformedFrameError(ValueError):
    """A frame that is not a JSON object."""


def decode(text: str | bytes) -> dict[str, Any]:
    """One frame as a dict (Decimal numbers).

    Raises:
        MalformedFrameError: not JSON, or not an object.
    """
    try:
        body = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedFrameError(f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedFrameError(f"a JSON {type(body).__name__}, not an object")
    return body


def encode(message: dict[str, Any]) -> str:
    """A request as JSON text."""
    return json.dumps(message, separators=(",", ":"))


def subscribe_message(
    feed: str,
    products: list[str] | None = None,
    *,
    subscribe: bool = True,
    auth: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``{"event":"subscribe","feed":...,"product_ids":[...]}`` (plus challenge keys if private)."""
    message: dict[str, Any] = {"event": "subscribe" if subscribe else "unsubscribe", "feed": feed}
    if products:
        message["product_ids"] = products
    if auth:
        message.update(auth)
    return message
