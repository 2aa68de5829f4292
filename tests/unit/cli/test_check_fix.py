"""``ktrade check``'s one-line fix under a failed report, chosen by the kind of failure."""

from __future__ import annotations

from src.cli.checks import failure_fix

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
