"""Kraken spot REST endpoints, URLs and which methods are public, private, order-changing or JSON.

https://docs.kraken.com/api/docs/rest-api/ (method names are CamelCase as Kraken writes them)
"""

from __future__ import annotations

DEFAULT_REST_URL = "https://api.kraken.com"
DEFAULT_WS_URL = "wss://ws.kraken.com/v2"
DEFAULT_WS_AUTH_URL = "wss://ws-auth.kraken.com/v2"
API_VERSION = "0"

PUBLIC_METHODS = frozenset(
    {
        "Time",
        "SystemStatus",
        "Assets",
        "AssetPairs",
        "Ticker",
        "OHLC",
        "Depth",
        "Trades",
        "Spread",
    }
)

# Order-changing calls: never re-sent automatically, gated per pair by the trading limiter.
ORDER_METHODS = frozenset(
    {
        "AddOrder",
        "AddOrderBatch",
        "AmendOrder",
        "EditOrder",
        "CancelOrder",
        "CancelOrderBatch",
        "CancelAll",
        "CancelAllOrdersAfter",
    }
)

PRIVATE_READ_METHODS = frozenset(
    {
        "Balance",
        "BalanceEx",
        "TradeBalance",
        "OpenOrders",
        "ClosedOrders",
        "QueryOrders",
        "OrderAmends",
        "TradesHistory",
        "QueryTrades",
        "OpenPositions",
        "Ledgers",
        "QueryLedgers",
        "TradeVolume",
        "GetWebSocketsToken",
    }
)

# Kraken's own examples (and python-kraken-sdk) send these two as JSON; the rest form-encoded.
JSON_METHODS = frozenset({"AddOrderBatch", "CancelOrderBatch"})

OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
OHLC_WINDOW = 720  # Kraken returns at most this many committed candles per call


def is_public(method: str) -> bool:
    """True for methods served under ``/0/public/``; unknown names are treated as private."""
    return method in PUBLIC_METHODS


def path_for(method: str) -> str:
    """URI path of a method, e.g. ``/0/private/AddOrder``."""
    kind = "public" if is_public(method) else "private"
    return f"/{API_VERSION}/{kind}/{method}"


#: Nonce ticks per second at the default (nanosecond) scale.
NANOSECONDS = 1_000_000_000
