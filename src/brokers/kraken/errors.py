"""Every Kraken error string (kraken-api.md section 7) mapped to the project's BrokerError classes.

https://docs.kraken.com/api/docs/guides/spot-errors
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from src.core.errors import (
    AuthenticationError,
    BrokerError,
    InsufficientFundsError,
    InvalidNonceError,
    InvalidOrderError,
    OrderMinimumError,
    OrderRejectedError,
    OrdersLimitError,
    PermissionDeniedError,
    RestRateLimitError,
    ServiceUnavailableError,
    TradingRateLimitError,
    UnknownOrderError,
    UnknownSymbolError,
)


class ServiceThrottledError(RestRateLimitError, ServiceUnavailableError):
    """``EService:Throttled:<ts>``: too many concurrent requests; ``retry_after`` from the ts."""


class InvalidRequestError(BrokerError):
    """A non-order request Kraken refused as malformed (bad method, bad arguments)."""


class MarketStatusError(OrderRejectedError):
    """The market's status (cancel_only, post_only, limit_only) refuses this request."""


class FundingError(BrokerError):
    """Deposit/withdrawal (``EFunding``) errors."""


@dataclass(frozen=True)
class ErrorRule:
    """One row of the table: Kraken text (exact or as a ``prefix:...``) to a class.

    ``ambiguous`` marks errors after which an order request may or may not have executed.
    ``order_cls`` overrides ``cls`` when the failing call changes orders.
    """

    text: str
    cls: type[BrokerError]
    retryable: bool = False
    ambiguous: bool = False
    order_cls: type[BrokerError] | None = None


_R = ErrorRule
# Most specific first: the first rule whose text matches wins.
ERROR_RULES: tuple[ErrorRule, ...] = (
    _R("EGeneral:Invalid arguments:volume minimum not met", OrderMinimumError),
    _R("EGeneral:Invalid arguments:Index unavailable", InvalidOrderError),
    _R("EGeneral:Invalid arguments", InvalidRequestError, order_cls=InvalidOrderError),
    _R("EGeneral:Permission denied", PermissionDeniedError),
    _R("EGeneral:Temporary lockout", AuthenticationError),
    _R("EGeneral:Internal error", ServiceUnavailableError, retryable=True, ambiguous=True),
    _R("EGeneral:Unknown method", InvalidRequestError),
    _R("EGeneral:Too many requests", RestRateLimitError, retryable=True),
    _R("EAPI:Invalid key", AuthenticationError),
    _R("EAPI:Invalid signature", AuthenticationError),
    _R("EAPI:Invalid nonce", InvalidNonceError, retryable=True),
    _R("EAPI:Rate limit exceeded", RestRateLimitError, retryable=True),
    _R("EAPI:Bad request", InvalidRequestError, order_cls=InvalidOrderError),
    _R("EService:Unavailable", ServiceUnavailableError, retryable=True, ambiguous=True),
    _R("EService:Busy", ServiceUnavailableError, retryable=True, ambiguous=True),
    _R("EService:Throttled", ServiceThrottledError, retryable=True),
    _R("EService:Market in cancel_only mode", MarketStatusError),
    _R("EService:Market in post_only mode", MarketStatusError),
    _R("EService:Market in limit_only mode", MarketStatusError),
    _R("EService:Deadline elapsed", ServiceUnavailableError, retryable=True, ambiguous=True),
    _R("EOrder:Cannot open opposing position", InvalidOrderError),
    _R("EOrder:Cannot open position", InvalidOrderError),
    _R("EOrder:Margin allowance exceeded", InsufficientFundsError),
    _R("EOrder:Margin level too low", InsufficientFundsError),
    _R("EOrder:Margin position size exceeded", InvalidOrderError),
    _R("EOrder:Insufficient margin", InsufficientFundsError),
    _R("EOrder:Insufficient funds", InsufficientFundsError),
    _R("EOrder:Order minimum not met", OrderMinimumError),
    _R("EOrder:Cost minimum not met", OrderMinimumError),
    _R("EOrder:Tick size check failed", InvalidOrderError),
    _R("EOrder:Invalid price", InvalidOrderError),
    _R("EOrder:Invalid order", InvalidOrderError),
    _R("EOrder:Post only order", InvalidOrderError),
    _R("EOrder:Orders limit exceeded", OrdersLimitError),
    _R("EOrder:Scheduled orders limit exceeded", OrdersLimitError),
    _R("EOrder:Rate limit exceeded", TradingRateLimitError, retryable=True),
    _R("EOrder:Domain rate limit exceeded", TradingRateLimitError, retryable=True),
    _R("EOrder:Positions limit exceeded", OrdersLimitError),
    _R("EOrder:Unknown position", InvalidOrderError),
    _R("EOrder:Reduce only", InvalidOrderError),
    _R("EOrder:Unknown order", UnknownOrderError),
    _R("EQuery:Unknown asset pair", UnknownSymbolError),
    _R("EQuery:Invalid asset pair", UnknownSymbolError),
    _R("EQuery:Unknown asset", UnknownSymbolError),
    _R("ETrade:Invalid request", InvalidRequestError, order_cls=InvalidOrderError),
    _R("ETrade:User Locked", AuthenticationError),
    _R("EFunding", FundingError),
    _R("EAccount:Invalid permissions", PermissionDeniedError),
    _R("EAuth:Account temporary disabled", AuthenticationError),
    _R("EAuth:Account unconfirmed", AuthenticationError),
    _R("EAuth:Rate limit exceeded", RestRateLimitError, retryable=True),
    _R("EAuth:Too many requests", RestRateLimitError, retryable=True),
    _R("ESession:Invalid session", AuthenticationError),
    _R("EDatabase:Internal error", ServiceUnavailableError, retryable=True, ambiguous=True),
    _R("EBM:limit exceeded:CAL", OrderRejectedError),
)

_SPACES_AROUND_COLON = re.compile(r"\s*:\s*")


def normalize_error_text(raw: str) -> str:
    """Collapse spaces around colons (docs print ``EService: Throttled: <ts>``)."""
    return _SPACES_AROUND_COLON.sub(":", raw.strip())


def find_rule(raw: str) -> ErrorRule | None:
    """The table row matching ``raw`` (exactly, or followed by ``:<detail>``), if any."""
    text = normalize_error_text(raw)
    for rule in ERROR_RULES:
        if text == rule.text or text.startswith(rule.text + ":"):
            return rule
    return None


def _throttle_wait(text: str, now: Callable[[], float]) -> float | None:
    tail = text.rsplit(":", 1)[-1]
    try:
        return max(0.0, float(tail) - now())
    except ValueError:
        return None


def map_error(
    raw: str,
    endpoint: str,
    *,
    order_call: bool = False,
    symbol: str | None = None,
    now: Callable[[], float] = time.time,
) -> BrokerError:
    """Build the exception for one Kraken error string.

    Args:
        raw: Kraken's text, e.g. ``"EOrder:Insufficient funds"`` (kept as ``error.raw``).
        endpoint: the method that failed, e.g. ``"AddOrder"``.
        order_call: True when the call places/changes orders: ambiguous errors then say the
            outcome is unknown (``outcome_known=False``).
        symbol: the pair asked for, named by UnknownSymbolError.
        now: wall clock (seconds) used to turn a throttle timestamp into ``retry_after``.
    """
    rule = find_rule(raw)
    outcome_known = not (order_call and rule is not None and rule.ambiguous)
    if rule is None:
        return BrokerError(
            f"Kraken error {raw!r}", raw=raw, endpoint=endpoint, retryable=False, outcome_known=True
        )
    cls = rule.order_cls if (order_call and rule.order_cls) else rule.cls
    if issubclass(cls, UnknownSymbolError):
        return cls(symbol or raw, raw=raw, endpoint=endpoint, retryable=False)
    message = f"Kraken refused {endpoint}: {raw}"
    if issubclass(cls, ServiceThrottledError):
        wait = _throttle_wait(normalize_error_text(raw), now)
        return cls(
            message, retry_after=wait, raw=raw, endpoint=endpoint, outcome_known=outcome_known
        )
    return cls(
        message,
        raw=raw,
        endpoint=endpoint,
        retryable=rule.retryable,
        outcome_known=outcome_known,
    )


def error_from_list(
    errors: Sequence[str], endpoint: str, *, order_call: bool = False, symbol: str | None = None
) -> BrokerError | None:
    """The exception for the first ``E...`` entry of an ``error`` list (warnings skipped)."""
    for raw in errors:
        if isinstance(raw, str) and raw.startswith("E"):
            return map_error(raw, endpoint, order_call=order_call, symbol=symbol)
    return None
