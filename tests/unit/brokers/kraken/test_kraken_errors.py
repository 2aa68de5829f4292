"""Every Kraken error string maps to its class, keeping raw text, endpoint and retryability."""

from __future__ import annotations

import httpx
import pytest
import respx

from src.brokers.kraken.errors import (
    ERROR_RULES,
    FundingError,
    InvalidRequestError,
    MarketStatusError,
    ServiceThrottledError,
    map_error,
)
from src.brokers.kraken_adapter import KrakenAdapter
from src.core import errors as core
from tests.unit.brokers.kraken.kraken_helpers import fail

# (Kraken text as it arrives, expected class on a read, retryable)
CASES: list[tuple[str, type[core.BrokerError], bool]] = [
    ("EGeneral:Invalid arguments", InvalidRequestError, False),
    ("EGeneral:Invalid arguments:ordertype", InvalidRequestError, False),
    ("EGeneral:Invalid arguments:volume minimum not met", core.OrderMinimumError, False),
    ("EGeneral:Invalid arguments:Index unavailable", core.InvalidOrderError, False),
    ("EGeneral:Permission denied", core.PermissionDeniedError, False),
    ("EGeneral:Temporary lockout", core.AuthenticationError, False),
    ("EGeneral:Internal error", core.ServiceUnavailableError, True),
    ("EGeneral:Internal error:1234", core.ServiceUnavailableError, True),
    ("EGeneral:Unknown method", InvalidRequestError, False),
    ("EGeneral:Too many requests", core.RestRateLimitError, True),
    ("EAPI:Invalid key", core.AuthenticationError, False),
    ("EAPI:Invalid signature", core.AuthenticationError, False),
    ("EAPI:Invalid nonce", core.InvalidNonceError, True),
    ("EAPI:Rate limit exceeded", core.RestRateLimitError, True),
    ("EAPI:Bad request", InvalidRequestError, False),
    ("EService:Unavailable", core.ServiceUnavailableError, True),
    ("EService:Busy", core.ServiceUnavailableError, True),
    ("EService:Throttled:1700000000", ServiceThrottledError, True),
    ("EService: Throttled: 1700000000", ServiceThrottledError, True),
    ("EService:Market in cancel_only mode", MarketStatusError, False),
    ("EService:Market in post_only mode", MarketStatusError, False),
    ("EService:Market in limit_only mode", MarketStatusError, False),
    ("EService:Deadline elapsed", core.ServiceUnavailableError, True),
    ("EOrder:Cannot open position", core.InvalidOrderError, False),
    ("EOrder:Cannot open opposing position", core.InvalidOrderError, False),
    ("EOrder:Margin allowance exceeded", core.InsufficientFundsError, False),
    ("EOrder:Margin level too low", core.InsufficientFundsError, False),
    ("EOrder:Margin position size exceeded", core.InvalidOrderError, False),
    ("EOrder:Insufficient margin", core.InsufficientFundsError, False),
    ("EOrder:Insufficient funds", core.InsufficientFundsError, False),
    ("EOrder:Order minimum not met", core.OrderMinimumError, False),
    ("EOrder:Cost minimum not met", core.OrderMinimumError, False),
    ("EOrder:Tick size check failed", core.InvalidOrderError, False),
    ("EOrder:Invalid price", core.InvalidOrderError, False),
    (
        "EOrder:Invalid price:XXBTZEUR price can only be specified up to 1 decimals.",
        core.InvalidOrderError,
        False,
    ),
    ("EOrder:Invalid order", core.InvalidOrderError, False),
    ("EOrder:Post only order", core.InvalidOrderError, False),
    ("EOrder:Orders limit exceeded", core.OrdersLimitError, False),
    ("EOrder:Scheduled orders limit exceeded", core.OrdersLimitError, False),
    ("EOrder:Rate limit exceeded", core.TradingRateLimitError, True),
    ("EOrder:Domain rate limit exceeded", core.TradingRateLimitError, True),
    ("EOrder:Positions limit exceeded", core.OrdersLimitError, False),
    ("EOrder:Unknown position", core.InvalidOrderError, False),
    ("EOrder:Reduce only:No position exists", core.InvalidOrderError, False),
    ("EOrder:Reduce only:Position is closed", core.InvalidOrderError, False),
    ("EOrder:Reduce only:Non-PC", core.InvalidOrderError, False),
    ("EOrder:Unknown order", core.UnknownOrderError, False),
    ("EQuery:Unknown asset pair", core.UnknownSymbolError, False),
    ("EQuery:Invalid asset pair", core.UnknownSymbolError, False),
    ("EQuery:Unknown asset", core.UnknownSymbolError, False),
    ("ETrade:Invalid request", InvalidRequestError, False),
    ("ETrade:User Locked", core.AuthenticationError, False),
    ("EFunding:Unknown withdraw key", FundingError, False),
    ("EFunding:Invalid amount", FundingError, False),
    ("EFunding:Unknown asset", FundingError, False),
    ("EFunding:No funding method", FundingError, False),
    ("EFunding:Max fee exceeded", FundingError, False),
    ("EFunding:Too many addresses", FundingError, False),
    ("EFunding:Invalid reference id", FundingError, False),
    ("EFunding:Unknown reference id", FundingError, False),
    ("EAccount:Invalid permissions", core.PermissionDeniedError, False),
    ("EAuth:Account temporary disabled", core.AuthenticationError, False),
    ("EAuth:Account unconfirmed", core.AuthenticationError, False),
    ("EAuth:Rate limit exceeded", core.RestRateLimitError, True),
    ("EAuth:Too many requests", core.RestRateLimitError, True),
    ("ESession:Invalid session", core.AuthenticationError, False),
    ("EDatabase:Internal error", core.ServiceUnavailableError, True),
    ("EBM:limit exceeded:CAL", core.OrderRejectedError, False),
]


@pytest.mark.parametrize(("raw", "cls", "retryable"), CASES)
def test_each_error_string_maps_to_its_class(
    raw: str, cls: type[core.BrokerError], retryable: bool
) -> None:
    error = map_error(raw, "Balance", symbol="BTC/USDD")
    assert type(error) is cls
    assert error.raw == raw
    assert error.endpoint == "Balance"
    assert error.retryable is retryable
    assert error.outcome_known is True


def test_every_table_row_is_covered_by_a_case() -> None:
    covered = {text.replace(" ", "") for text, _, _ in CASES}
    for rule in ERROR_RULES:
        assert any(c.startswith(rule.text.replace(" ", "")) for c in covered), rule.text


@pytest.mark.parametrize(
    "raw",
    [
        "EService:Unavailable",
        "EService:Busy",
        "EGeneral:Internal error",
        "EService:Deadline elapsed",
        "EDatabase:Internal error",
    ],
)
def test_ambiguous_errors_on_order_calls_leave_the_outcome_unknown(raw: str) -> None:
    assert map_error(raw, "AddOrder", order_call=True).outcome_known is False
    assert map_error(raw, "Balance").outcome_known is True


def test_invalid_arguments_on_an_order_call_is_an_order_rejection() -> None:
    error = map_error("EGeneral:Invalid arguments:volume", "AddOrder", order_call=True)
    assert isinstance(error, core.InvalidOrderError)
    assert error.outcome_known is True


def test_throttle_timestamp_becomes_retry_after() -> None:
    error = map_error("EService:Throttled:1700000030", "Balance", now=lambda: 1_700_000_000.0)
    assert isinstance(error, core.RateLimitError)
    assert isinstance(error, core.ServiceUnavailableError)
    assert error.retry_after == pytest.approx(30.0)


def test_unknown_symbol_error_names_the_pair() -> None:
    error = map_error("EQuery:Unknown asset pair", "Ticker", symbol="BTC/USDD")
    assert isinstance(error, core.UnknownSymbolError)
    assert error.symbol == "BTC/USDD"


def test_unlisted_error_is_a_plain_non_retryable_broker_error() -> None:
    error = map_error("EWhatever:Something new", "Balance")
    assert type(error) is core.BrokerError
    assert error.retryable is False
    assert "EWhatever:Something new" in str(error)


async def test_envelope_error_raises_mapped_class_and_warnings_are_ignored(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    kraken.post("/0/private/Balance").mock(
        return_value=fail("WGeneral:Danger", "EOrder:Insufficient funds")
    )
    with pytest.raises(core.InsufficientFundsError) as info:
        await adapter.get_balance()
    assert info.value.raw == "EOrder:Insufficient funds"
    assert info.value.endpoint == "Balance"
    kraken.post("/0/private/Balance").mock(
        return_value=httpx.Response(
            200, json={"error": ["WGeneral:Deprecated"], "result": {"ZUSD": "1.0"}}
        )
    )
    assert await adapter.get_balance() == {"ZUSD": "1.0"}


async def test_unknown_pair_on_public_call_names_the_pair(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    kraken.get("/0/public/Ticker").mock(return_value=fail("EQuery:Unknown asset pair"))
    with pytest.raises(core.UnknownSymbolError, match="NOPEUSD"):
        await adapter.get_ticker("NOPEUSD")
