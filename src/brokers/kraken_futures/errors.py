"""Kraken Futures error strings and order statuses mapped onto the project's BrokerError classes.

Two places carry a refusal: the envelope's ``error`` (``{"result":"error","error":"..."}``,
or ``errors:[{code, message}]``) and, with ``result: success``, the per-operation status
(``sendStatus.status``, ``editStatus.status``, ``cancelStatus.status``, ``batchStatus[]``).
Sources: krakenfx/api-specs ``futures-rest/trading/_schemas.yml`` (``Error``, ``sendStatus``
enums) and docs.kraken.com/api/docs/guides/futures-rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from src.core.errors import (
    AuthenticationError,
    BrokerError,
    InsufficientFundsError,
    InvalidNonceError,
    InvalidOrderError,
    OrderRejectedError,
    OrdersLimitError,
    PermissionDeniedError,
    RestRateLimitError,
    ServiceUnavailableError,
    UnknownOrderError,
    UnknownSymbolError,
)

__all__ = [
    "ERROR_RULES",
    "SEND_STATUS_RULES",
    "SUCCESS_STATUSES",
    "DuplicateClientOrderIdError",
    "ErrorRule",
    "InvalidRequestError",
    "MarketStatusError",
    "error_for",
    "status_error",
]


class InvalidRequestError(BrokerError):
    """A non-order request Kraken Futures refused as malformed (argument, unit, JSON)."""


class MarketStatusError(OrderRejectedError):
    """The market is suspended, inactive or post-only; the order was not placed."""


class DuplicateClientOrderIdError(InvalidOrderError):
    """``clientOrderIdAlreadyExist``: an order with this ``cliOrdId`` is already known."""


@dataclass(frozen=True)
class ErrorRule:
    """One row: Kraken's text to a class.

    ``ambiguous``: after this error an order call may or may not have taken effect
    (``outcome_known=False``). ``order_cls`` overrides ``cls`` for order calls.
    """

    cls: type[BrokerError]
    retryable: bool = False
    ambiguous: bool = False
    order_cls: type[BrokerError] | None = None


_R = ErrorRule
#: The envelope's ``error`` values (spec ``Error`` enum, plus ``contractNotFound`` and
#: ``Bad Request`` seen by ccxt) and the upper-case ``errors[].message`` values.
ERROR_RULES: Mapping[str, ErrorRule] = MappingProxyType(
    {
        "accountInactive": _R(AuthenticationError),
        "apiLimitExceeded": _R(RestRateLimitError, retryable=True),
        "authenticationError": _R(AuthenticationError),
        "insufficientFunds": _R(InsufficientFundsError),
        "invalidAccount": _R(InvalidRequestError),
        "invalidAmount": _R(InvalidRequestError, order_cls=InvalidOrderError),
        "invalidArgument": _R(InvalidRequestError, order_cls=InvalidOrderError),
        "invalidUnit": _R(InvalidRequestError, order_cls=InvalidOrderError),
        "Json Parse Error": _R(InvalidRequestError, order_cls=InvalidOrderError),
        "marketUnavailable": _R(ServiceUnavailableError, retryable=True),
        "nonceBelowThreshold": _R(InvalidNonceError, retryable=True),
        "nonceDuplicate": _R(InvalidNonceError, retryable=True),
        "notFound": _R(InvalidRequestError, order_cls=UnknownOrderError),
        "requiredArgumentMissing": _R(InvalidRequestError, order_cls=InvalidOrderError),
        "Server Error": _R(ServiceUnavailableError, retryable=True, ambiguous=True),
        "Unavailable": _R(ServiceUnavailableError, retryable=True, ambiguous=True),
        "unknownError": _R(BrokerError, ambiguous=True),
        "contractNotFound": _R(UnknownSymbolError),
        "Bad Request": _R(InvalidRequestError, order_cls=InvalidOrderError),
        "permissionDenied": _R(PermissionDeniedError),
        "INSUFFICIENT_MARGIN": _R(InsufficientFundsError),
        "WOULD_CAUSE_LIQUIDATION": _R(InsufficientFundsError),
    }
)

#: Statuses that mean the operation happened (the order rests, filled, changed or went).
SUCCESS_STATUSES = frozenset({"placed", "partiallyFilled", "filled", "cancelled", "edited"})

#: ``sendStatus`` / ``editStatus`` / ``cancelStatus`` / ``batchStatus[]`` refusals. Every one
#: is a definite answer: nothing was placed or changed.
SEND_STATUS_RULES: Mapping[str, type[BrokerError]] = MappingProxyType(
    {
        "marketSuspended": MarketStatusError,
        "marketInactive": MarketStatusError,
        "marketIsPostOnly": MarketStatusError,
        "invalidPrice": InvalidOrderError,
        "invalidSize": InvalidOrderError,
        "invalidOrderType": InvalidOrderError,
        "invalidSide": InvalidOrderError,
        "tooManySmallOrders": OrdersLimitError,
        "tooManyOrders": OrdersLimitError,
        "insufficientAvailableFunds": InsufficientFundsError,
        "wouldCauseLiquidation": InsufficientFundsError,
        "clientOrderIdAlreadyExist": DuplicateClientOrderIdError,
        "clientOrderIdTooBig": InvalidOrderError,
        "clientOrderIdTooLong": InvalidOrderError,
        "clientOrderIdInvalid": InvalidOrderError,
        "maxPositionViolation": InvalidOrderError,
        "outsidePriceCollar": InvalidOrderError,
        "wouldIncreasePriceDislocation": InvalidOrderError,
        "notFound": UnknownOrderError,
        "orderForEditNotFound": UnknownOrderError,
        "orderForEditNotAStop": InvalidOrderError,
        "postWouldExecute": InvalidOrderError,
        "iocWouldNotExecute": OrderRejectedError,
        "selfFill": InvalidOrderError,
        "wouldNotReducePosition": InvalidOrderError,
        "fixedLeverageTooHigh": InvalidOrderError,
        "cannotEditTriggerPriceOfTrailingStop": InvalidOrderError,
        "cannotEditLimitPriceOfTrailingStop": InvalidOrderError,
        "wouldProcessAfterSpecifiedTime": OrderRejectedError,
        "noOrdersToCancel": UnknownOrderError,
    }
)


def error_for(
    raw: str, endpoint: str, *, order_call: bool = False, symbol: str | None = None
) -> BrokerError:
    """The exception for one envelope ``error`` value (unknown text: a plain BrokerError)."""
    rule = ERROR_RULES.get(raw.strip())
    if rule is None:
        return BrokerError(f"Kraken Futures error {raw!r}", raw=raw, endpoint=endpoint)
    cls = rule.order_cls if (order_call and rule.order_cls) else rule.cls
    if issubclass(cls, UnknownSymbolError):
        return cls(symbol or raw, raw=raw, endpoint=endpoint)
    return cls(
        f"Kraken Futures refused {endpoint}: {raw}",
        raw=raw,
        endpoint=endpoint,
        retryable=rule.retryable,
        outcome_known=not (order_call and rule.ambiguous),
    )


def status_error(status: str, endpoint: str, *, detail: str = "") -> BrokerError | None:
    """The exception a per-operation status stands for; None for a success status.

    A status in neither table is reported as a plain, non-retryable BrokerError naming it,
    and the envelope table is tried too: ``batchStatus`` rows carry ``requiredArgumentMissing``
    or ``apiLimitExceeded`` (python-kraken-sdk, ccxt).
    """
    if status in SUCCESS_STATUSES:
        return None
    text = f"Kraken Futures {endpoint}: {status}" + (f" ({detail})" if detail else "")
    cls = SEND_STATUS_RULES.get(status)
    if cls is not None:
        return cls(text, raw=status, endpoint=endpoint)
    if status in ERROR_RULES:
        return error_for(status, endpoint, order_call=True)
    return BrokerError(text, raw=status, endpoint=endpoint)
