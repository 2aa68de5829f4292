"""Kraken error strings raised by the paper exchange's service layer (transport independent)."""

from __future__ import annotations

INVALID_KEY = "EAPI:Invalid key"
INVALID_SIGNATURE = "EAPI:Invalid signature"
INVALID_NONCE = "EAPI:Invalid nonce"
BAD_REQUEST = "EAPI:Bad request"
REST_RATE_LIMIT = "EAPI:Rate limit exceeded"
PERMISSION_DENIED = "EGeneral:Permission denied"
INVALID_ARGUMENTS = "EGeneral:Invalid arguments"
UNKNOWN_METHOD = "EGeneral:Unknown method"
INTERNAL_ERROR = "EGeneral:Internal error"
UNAVAILABLE = "EService:Unavailable"
UNKNOWN_PAIR = "EQuery:Unknown asset pair"
UNKNOWN_ASSET = "EQuery:Unknown asset"
UNKNOWN_ORDER = "EOrder:Unknown order"
INSUFFICIENT_FUNDS = "EOrder:Insufficient funds"
ORDER_MINIMUM = "EOrder:Order minimum not met"
COST_MINIMUM = "EOrder:Cost minimum not met"
TICK_SIZE = "EOrder:Tick size check failed"
POST_ONLY = "EOrder:Post only order"
INVALID_ORDER = "EOrder:Invalid order"
ORDERS_LIMIT = "EOrder:Orders limit exceeded"
TRADING_RATE_LIMIT = "EOrder:Rate limit exceeded"
CANCEL_ONLY = "EService:Market in cancel_only mode"
POST_ONLY_MODE = "EService:Market in post_only mode"
INVALID_SESSION = "ESession:Invalid session"


class KrakenError(Exception):
    """An API failure carrying Kraken's exact error string (e.g. ``EOrder:Insufficient funds``).

    Args:
        message: The Kraken error string, sent verbatim in the ``error`` list (REST) or the
            ``error`` field (WS v2).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def invalid_arguments(param: str | None = None) -> KrakenError:
    """``EGeneral:Invalid arguments[:param]``."""
    return KrakenError(f"{INVALID_ARGUMENTS}:{param}" if param else INVALID_ARGUMENTS)


def invalid_price_decimals(pair: str, decimals: int) -> KrakenError:
    """Kraken's observed error for a price with too many decimals."""
    return KrakenError(
        f"EOrder:Invalid price:{pair} price can only be specified up to {decimals} decimals."
    )
