"""What a WS v2 request can end in besides a reply, and how subscriptions are identified."""

from __future__ import annotations

from typing import Any

from src.core.errors import NetworkError

__all__ = ["ConnectionLostError", "RequestTimeoutError", "SubscriptionKey", "subscription_key"]

SubscriptionKey = tuple[str, str | None, int | None]


class ConnectionLostError(NetworkError):
    """The socket went away before the venue answered; the request may or may not have run."""

    outcome_known = False


class RequestTimeoutError(NetworkError):
    """No reply to a request within its timeout; the request may or may not have run."""

    outcome_known = False


def subscription_key(params: dict[str, Any]) -> SubscriptionKey:
    """Identify a subscription by channel, symbol and (for ohlc) interval."""
    symbols = params.get("symbol")
    symbol = symbols[0] if isinstance(symbols, list) and symbols else None
    interval = params.get("interval")
    return (str(params["channel"]), symbol, interval if isinstance(interval, int) else None)
