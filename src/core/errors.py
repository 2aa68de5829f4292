"""The project's exception hierarchy, shared by every broker.

Each error says whether retrying may help (``retryable``) and whether the outcome of the
request is known (``outcome_known``): an order request whose outcome is unknown must be
resolved by asking the venue (by client order id), never by sending it again.
"""

from __future__ import annotations

from collections.abc import Sequence


class TradingError(Exception):
    """Base of every error raised by this project."""


class ConfigurationError(TradingError):
    """A setting is missing or invalid."""


class MissingCredentialError(ConfigurationError):
    """A credential was asked for but is not configured; names the variable to set."""


class BrokerError(TradingError):
    """An error reported by, or while talking to, a broker.

    Attributes:
        raw: the venue's own error text (e.g. ``"EOrder:Insufficient funds"``), if any.
        endpoint: the endpoint or method that failed.
        retryable: whether the same request may succeed if repeated later.
        outcome_known: False when the request may or may not have taken effect.
    """

    retryable: bool = False
    outcome_known: bool = True

    def __init__(
        self,
        message: str,
        *,
        raw: str | None = None,
        endpoint: str | None = None,
        retryable: bool | None = None,
        outcome_known: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw
        self.endpoint = endpoint
        if retryable is not None:
            self.retryable = retryable
        if outcome_known is not None:
            self.outcome_known = outcome_known

    def __str__(self) -> str:
        parts = [self.message]
        if self.endpoint:
            parts.append(f"(endpoint {self.endpoint})")
        if self.raw and self.raw not in self.message:
            parts.append(f"[{self.raw}]")
        return " ".join(parts)


class AuthenticationError(BrokerError):
    """Key unknown, signature invalid, or account locked."""


class PermissionDeniedError(BrokerError):
    """The key lacks the permission the request needs."""


class InvalidNonceError(BrokerError):
    """The nonce was not above the last one the venue saw for this key."""

    retryable = True


class RateLimitError(BrokerError):
    """A rate limit was hit; ``retry_after`` (seconds) says how long to wait when known."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class RestRateLimitError(RateLimitError):
    """The venue's request counter is exhausted."""


class TradingRateLimitError(RateLimitError):
    """The venue's per-pair order (matching engine) counter is exhausted."""


class LocalRateLimitError(RateLimitError):
    """Refused locally, before sending, because a limit would be exceeded."""


class ServiceUnavailableError(BrokerError):
    """The venue is unavailable, busy, throttled or in maintenance."""

    retryable = True


class NetworkError(BrokerError):
    """The request could not be completed at the transport level (timeout, dropped connection)."""

    retryable = True


class MalformedResponseError(BrokerError):
    """The venue replied with something that is not the documented shape."""

    retryable = True


class OrderRejectedError(BrokerError):
    """The venue refused an order; nothing was placed."""


class InsufficientFundsError(OrderRejectedError):
    """Not enough balance for the order."""


class OrderMinimumError(OrderRejectedError):
    """Quantity or cost below the instrument's minimum."""


class InvalidOrderError(OrderRejectedError):
    """Invalid order parameters (price, volume, arguments, post-only would take)."""


class OrdersLimitError(OrderRejectedError):
    """Too many open orders."""


class UnknownSymbolError(BrokerError):
    """The symbol does not resolve to a tradable instrument."""

    def __init__(self, symbol: str, *, suggestions: Sequence[str] = (), **kwargs: object) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown symbol {symbol!r}{hint}", **kwargs)  # type: ignore[arg-type]
        self.symbol = symbol
        self.suggestions = list(suggestions)


class UnknownOrderError(BrokerError):
    """The order id is not known to the venue (or no longer open)."""


class OrderOutcomeUnknownError(BrokerError):
    """An order request's outcome could not be determined, even after asking the venue."""

    retryable = False
    outcome_known = False

    def __init__(self, message: str, *, client_order_id: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.client_order_id = client_order_id


class StaleDataError(TradingError):
    """Market data is older than the consumer allows."""
