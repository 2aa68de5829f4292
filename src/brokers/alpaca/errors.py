"""Alpaca HTTP error replies mapped into ``src.core.errors``.

Alpaca answers errors with an HTTP status and ``{"code": <int>, "message": <str>}``
(https://docs.alpaca.markets/docs/orders-at-alpaca, /reference/postorder): 401 bad keys, 403
forbidden *or* insufficient buying power / quantity (told apart by the message), 404 not found,
422 unprocessable (invalid order, not cancelable), 429 rate limited, 5xx trouble on their side.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from src.core.errors import (
    AuthenticationError,
    BrokerError,
    InsufficientFundsError,
    InvalidOrderError,
    PermissionDeniedError,
    RestRateLimitError,
    ServiceUnavailableError,
    UnknownOrderError,
)

_FUNDS_MARKERS = ("buying power", "insufficient", "not enough")


def error_message(body: bytes | str) -> tuple[str, str]:
    """Return (message, raw) from an error body; the raw text is capped, never echoed whole."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    raw = text[:300]
    try:
        parsed: Any = json.loads(text)
    except json.JSONDecodeError:
        return raw or "no error message", raw
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        code = parsed.get("code")
        return (f"{parsed['message']} (code {code})" if code else parsed["message"]), raw
    return raw, raw


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait after a 429: ``Retry-After``, else ``X-RateLimit-Reset`` (epoch seconds)."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    reset = headers.get("x-ratelimit-reset") or headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - (time.time() if now is None else now))
        except ValueError:
            return None
    return None


def map_http_error(
    status: int,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
) -> BrokerError:
    """Build the project error for a non-2xx reply to ``method path``."""
    message, raw = error_message(body)
    endpoint = f"{method} {path}"
    is_order_call = path.startswith("/v2/orders")
    writes = method != "GET"
    if status == 401:
        return AuthenticationError(
            f"Alpaca rejected the API key: {message}", raw=raw, endpoint=endpoint
        )
    if status == 403:
        if any(marker in message.lower() for marker in _FUNDS_MARKERS):
            return InsufficientFundsError(message, raw=raw, endpoint=endpoint)
        return PermissionDeniedError(f"Alpaca refused: {message}", raw=raw, endpoint=endpoint)
    if status == 404:
        if is_order_call:
            return UnknownOrderError(f"order not found: {message}", raw=raw, endpoint=endpoint)
        return BrokerError(f"not found: {message}", raw=raw, endpoint=endpoint)
    if status == 429:
        wait = retry_after(headers)
        return RestRateLimitError(
            f"Alpaca rate limit hit (200 requests/minute per key): {message}",
            retry_after=wait,
            raw=raw,
            endpoint=endpoint,
        )
    if status >= 500:
        # A failed write may still have taken effect: its outcome is unknown.
        return ServiceUnavailableError(
            f"Alpaca server error {status}: {message}",
            raw=raw,
            endpoint=endpoint,
            outcome_known=not writes,
        )
    if status in (400, 422) and is_order_call:
        if method == "DELETE" and "state" in message:
            return UnknownOrderError(f"order is not open: {message}", raw=raw, endpoint=endpoint)
        return InvalidOrderError(
            f"Alpaca rejected the order: {message}", raw=raw, endpoint=endpoint
        )
    return BrokerError(f"Alpaca error {status}: {message}", raw=raw, endpoint=endpoint)
