"""Every Kraken Futures error string and per-order status maps onto the project's errors."""

from __future__ import annotations

import json

import pytest

from src.brokers.kraken_futures.errors import (
    ERROR_RULES,
    SEND_STATUS_RULES,
    DuplicateClientOrderIdError,
    InvalidRequestError,
    MarketStatusError,
    error_for,
    status_error,
)
from src.brokers.kraken_futures.rest.envelope import parse_reply
from src.core.errors import (
    AuthenticationError,
    BrokerError,
    InsufficientFundsError,
    InvalidNonceError,
    InvalidOrderError,
    MalformedResponseError,
    OrderRejectedError,
    OrdersLimitError,
    RestRateLimitError,
    ServiceUnavailableError,
    UnknownOrderError,
    UnknownSymbolError,
)
from tests.unit.brokers.kraken_futures.conftest import raw

# (error text, class for a read, class for an order call, retryable, outcome known on orders)
ENVELOPE = [
    ("accountInactive", AuthenticationError, AuthenticationError, False, True),
    ("apiLimitExceeded", RestRateLimitError, RestRateLimitError, True, True),
    ("authenticationError", AuthenticationError, AuthenticationError, False, True),
    ("insufficientFunds", InsufficientFundsError, InsufficientFundsError, False, True),
    ("invalidAccount", InvalidRequestError, InvalidRequestError, False, True),
    ("invalidAmount", InvalidRequestError, InvalidOrderError, False, True),
    ("invalidArgument", InvalidRequestError, InvalidOrderError, False, True),
    ("invalidUnit", InvalidRequestError, InvalidOrderError, False, True),
    ("Json Parse Error", InvalidRequestError, InvalidOrderError, False, True),
    ("marketUnavailable", ServiceUnavailableError, ServiceUnavailableError, True, True),
    ("nonceBelowThreshold", InvalidNonceError, InvalidNonceError, True, True),
    ("nonceDuplicate", InvalidNonceError, InvalidNonceError, True, True),
    ("notFound", InvalidRequestError, UnknownOrderError, False, True),
    ("requiredArgumentMissing", InvalidRequestError, InvalidOrderError, False, True),
    ("Server Error", ServiceUnavailableError, ServiceUnavailableError, True, False),
    ("Unavailable", ServiceUnavailableError, ServiceUnavailableError, True, False),
    ("unknownError", BrokerError, BrokerError, False, False),
    ("contractNotFound", UnknownSymbolError, UnknownSymbolError, False, True),
    ("Bad Request", InvalidRequestError, InvalidOrderError, False, True),
    ("INSUFFICIENT_MARGIN", InsufficientFundsError, InsufficientFundsError, False, True),
]


def test_the_table_covers_every_row_tested() -> None:
    assert {row[0] for row in ENVELOPE} <= set(ERROR_RULES)


@pytest.mark.parametrize(("text", "read_cls", "order_cls", "retryable", "known"), ENVELOPE)
def test_envelope_error(
    text: str, read_cls: type, order_cls: type, retryable: bool, known: bool
) -> None:
    read = error_for(text, "accounts")
    assert type(read) is read_cls and read.retryable is retryable and read.outcome_known
    order = error_for(text, "sendorder", order_call=True)
    assert type(order) is order_cls and order.outcome_known is known
    assert order.raw == text


def test_unknown_error_text_is_a_plain_broker_error_that_names_it() -> None:
    error = error_for("somethingNew", "accounts")
    assert type(error) is BrokerError and "somethingNew" in str(error) and not error.retryable


STATUSES = {
    "marketSuspended": MarketStatusError,
    "marketInactive": MarketStatusError,
    "marketIsPostOnly": MarketStatusError,
    "invalidPrice": InvalidOrderError,
    "invalidSize": InvalidOrderError,
    "tooManySmallOrders": OrdersLimitError,
    "tooManyOrders": OrdersLimitError,
    "insufficientAvailableFunds": InsufficientFundsError,
    "wouldCauseLiquidation": InsufficientFundsError,
    "clientOrderIdAlreadyExist": DuplicateClientOrderIdError,
    "clientOrderIdTooBig": InvalidOrderError,
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
    "clientOrderIdInvalid": InvalidOrderError,
    "cannotEditTriggerPriceOfTrailingStop": InvalidOrderError,
    "cannotEditLimitPriceOfTrailingStop": InvalidOrderError,
    "wouldProcessAfterSpecifiedTime": OrderRejectedError,
}


@pytest.mark.parametrize(("status", "cls"), sorted(STATUSES.items()))
def test_send_status(status: str, cls: type) -> None:
    error = status_error(status, "sendorder")
    assert error is not None
    assert type(error) is cls and not error.retryable and error.outcome_known
    assert SEND_STATUS_RULES[status] is cls


@pytest.mark.parametrize("status", ["placed", "partiallyFilled", "filled", "cancelled", "edited"])
def test_success_statuses_are_no_error(status: str) -> None:
    assert status_error(status, "sendorder") is None


def test_batch_row_with_an_envelope_error_is_mapped() -> None:
    assert isinstance(status_error("apiLimitExceeded", "batchorder"), RestRateLimitError)
    assert isinstance(status_error("requiredArgumentMissing", "batchorder"), InvalidOrderError)
    assert type(status_error("brandNew", "batchorder")) is BrokerError


def test_envelope_success_returns_the_object() -> None:
    body = parse_reply(200, {}, raw("http_tickers"), "tickers")
    assert body["result"] == "success" and isinstance(body["tickers"], list)


def test_envelope_error_fixture_raises_rate_limit() -> None:
    with pytest.raises(RestRateLimitError):
        parse_reply(200, {}, raw("http_error_api_limit"), "cancelallordersafter", order_call=True)


def test_http_500_with_errors_list_is_the_mapped_error_not_unavailable() -> None:
    content = json.dumps({"errors": [{"code": 92, "message": "INSUFFICIENT_MARGIN"}]}).encode()
    with pytest.raises(InsufficientFundsError):
        parse_reply(500, {}, content, "sendorder", order_call=True)


def test_http_5xx_on_an_order_call_leaves_the_outcome_unknown() -> None:
    with pytest.raises(ServiceUnavailableError) as caught:
        parse_reply(502, {}, b"<html>bad gateway</html>", "sendorder", order_call=True)
    assert not caught.value.outcome_known and caught.value.retryable
    with pytest.raises(ServiceUnavailableError) as read:
        parse_reply(503, {}, b"", "accounts")
    assert read.value.outcome_known


def test_history_429_carries_retry_after() -> None:
    with pytest.raises(RestRateLimitError) as caught:
        parse_reply(429, {"rate-limit-reset": "12.5"}, b"over budget", "account-log")
    assert caught.value.retry_after == 12.5


@pytest.mark.parametrize(
    "content",
    [b'{"result": "success", "acc', b"[1, 2]", b'{"serverTime": "x"}', b"not json"],
)
def test_malformed_replies_are_retryable_malformed_errors(content: bytes) -> None:
    with pytest.raises(MalformedResponseError) as caught:
        parse_reply(200, {}, content, "accounts")
    assert caught.value.retryable


def test_charts_reply_needs_no_envelope() -> None:
    body = parse_reply(200, {}, b'{"candles": [], "more_candles": false}', "charts", envelope=False)
    assert body["candles"] == []
