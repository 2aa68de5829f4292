"""``ktrade check``'s one-line fix under a failed report, chosen by the kind of failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from src.cli.checks import failure_fix
from tests.unit.cli.cli_support import Home, Result

URL = "http://127.0.0.1:9"


def test_all_passed_needs_no_fix() -> None:
    assert failure_fix([("Server time", True, "ok"), ("Authentication", True, "ok")], URL) is None


def test_an_unreachable_host_names_the_url_and_the_variable() -> None:
    results = [
        ("Server time", False, "NetworkError: Time transport failed (connect failed)"),
        ("Authentication", False, "NetworkError: TradeBalance transport failed"),
    ]
    fix = failure_fix(results, URL)
    assert fix is not None and URL in fix and "KRAKEN_API_URL" in fix
    assert "refused the key" not in fix  # the key was never tried


def test_a_refused_key_names_the_key_variables() -> None:
    results = [
        ("Server time", True, "ok"),
        (
            "Authentication",
            False,
            "AuthenticationError: Kraken refused TradeBalance: EAPI:Invalid key",
        ),
    ]
    fix = failure_fix(results, URL)
    assert fix is not None and "KRAKEN_API_KEY" in fix and "ktrade setup" in fix


def test_missing_permissions_are_named() -> None:
    results = [("Authentication", True, "ok"), ("Key permissions", False, "query open orders")]
    fix = failure_fix(results, URL)
    assert fix is not None and fix.endswith("query open orders")


def test_check_refuses_a_named_config_that_does_not_exist(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv("KTRADE_CONFIG", str(missing))
    result = ktrade("check", "--paper")
    assert result.code == 2
    assert f"config file not found: {missing}" in result.err
    assert "Balances" not in result.out  # stopped before any check ran


def test_check_refuses_a_broken_config(home: Home, ktrade: Callable[..., Result]) -> None:
    home.write_config("[trading]\nintervall_minutes = 60\n")
    result = ktrade("check", "--paper")
    assert result.code == 2
    assert "unknown key [trading] intervall_minutes; did you mean interval_minutes?" in result.err
