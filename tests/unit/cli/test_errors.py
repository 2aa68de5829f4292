"""The one error handler: each expected failure becomes what is wrong and the fix."""

from __future__ import annotations

import io

import httpx
import pytest
from pydantic import ValidationError

from src.brokers.credentials import BrokerCredentials
from src.cli.errors import CliError, explain, report
from src.core.errors import (
    AuthenticationError,
    ConfigurationError,
    LocalRateLimitError,
    MissingCredentialError,
    NetworkError,
    PermissionDeniedError,
    UnknownSymbolError,
)
from src.utils.logging import register_secret


def _printed(exc: BaseException, *, debug: bool = False) -> tuple[int, list[str]]:
    err = io.StringIO()
    code = report(exc, debug=debug, err=err)
    return code, err.getvalue().splitlines()


@pytest.mark.parametrize(
    ("exc", "code", "first", "fix"),
    [
        (
            ConfigurationError("risk limits file not found: x.toml"),
            2,
            "error: risk limits file not found: x.toml",
            None,
        ),
        (
            MissingCredentialError("KRAKEN_API_KEY is not set"),
            2,
            "error: KRAKEN_API_KEY is not set",
            "ktrade setup",
        ),
        (
            AuthenticationError("EAPI:Invalid key"),
            1,
            "error: Kraken refused the API key: EAPI:Invalid key",
            "Settings > API",
        ),
        (
            PermissionDeniedError("EGeneral:Permission denied"),
            1,
            "error: the API key lacks a permission: EGeneral:Permission denied",
            "Query Funds",
        ),
        (
            NetworkError("Balance transport failed (ConnectError)"),
            1,
            "error: cannot reach the exchange: Balance transport failed (ConnectError)",
            "KRAKEN_API_URL",
        ),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            1,
            "error: cannot reach the exchange: [Errno 111] Connection refused",
            "KRAKEN_API_URL",
        ),
        (
            UnknownSymbolError("BTC/USX", suggestions=["BTC/USD"]),
            2,
            "error: unknown symbol 'BTC/USX'; did you mean BTC/USD?",
            "BASE/QUOTE",
        ),
        (
            LocalRateLimitError("REST counter full", retry_after=3.0),
            1,
            "error: rate limited: REST counter full",
            "wait for 3 s",
        ),
        (
            LookupError("no model aliased 'champion' under 'kraken-signal'"),
            2,
            "error: no model aliased 'champion' under 'kraken-signal'",
            "ktrade train",
        ),
        (
            FileNotFoundError(2, "No such file", "data/x.csv"),
            2,
            "error: file not found: data/x.csv",
            "check the path",
        ),
        (KeyboardInterrupt(), 130, "error: interrupted", None),
        (CliError("bad pair", "write BTC/USD", exit_code=2), 2, "error: bad pair", "BTC/USD"),
    ],
)
def test_expected_failures_are_one_or_two_lines(
    exc: BaseException, code: int, first: str, fix: str | None
) -> None:
    got, lines = _printed(exc)
    assert got == code
    assert lines[0] == first
    assert len(lines) == (2 if fix else 1)
    if fix:
        assert lines[1].startswith("  fix: ") and fix in lines[1]


def test_non_base64_secret_names_the_variable_and_hides_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KRAKEN_API_SECRET", "definitely not base64!")
    with pytest.raises(ValidationError) as info:
        BrokerCredentials()
    code, lines = _printed(info.value)
    assert code == 2
    assert lines[0].startswith("error: KRAKEN_API_SECRET is not valid base64")
    assert "definitely not" not in "\n".join(lines)


def test_a_bug_is_reported_as_unexpected_with_a_pointer_to_debug() -> None:
    code, lines = _printed(ZeroDivisionError("division by zero"))
    assert code == 1
    assert lines == [
        "error: unexpected ZeroDivisionError: division by zero",
        "  fix: run again with --debug for the traceback, and report it",
    ]
    assert explain(ZeroDivisionError()) is None


def test_debug_prints_the_traceback_first() -> None:
    try:
        raise ConfigurationError("bad value")
    except ConfigurationError as exc:
        code, lines = _printed(exc, debug=True)
    assert code == 2
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == "error: bad value"


def test_registered_secrets_never_reach_the_screen() -> None:
    register_secret("s3cr3t-value-xyz")
    try:
        raise AuthenticationError("key s3cr3t-value-xyz refused")
    except AuthenticationError as exc:
        _, lines = _printed(exc, debug=True)
    text = "\n".join(lines)
    assert "s3cr3t-value-xyz" not in text
    assert "key *** refused" in text
