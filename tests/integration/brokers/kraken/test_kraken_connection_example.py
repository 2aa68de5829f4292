"""The connection example: a PAPER run passes over loopback; a failing LIVE run exits 1."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import respx

from tests.support.paths import EXAMPLES
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, BASE_URL, DOC_SECRET, fail, load

EXAMPLE = EXAMPLES / "test_kraken_connection.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kraken_connection_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("KRAKEN_API_KEY", "KRAKEN_API_SECRET", "KRAKEN_API_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.integration
def test_paper_run_passes_every_check(
    no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("src.venues.kraken_paper")
    assert _example().main([]) == 0
    out = capsys.readouterr().out
    assert "(PAPER)" in out and "✅ ALL TESTS PASSED!" in out
    assert "📊 Balances" in out and "  - BTC: 0.50000000" in out
    assert "❌" not in out


def test_live_run_with_a_failing_check_exits_non_zero(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KRAKEN_API_KEY", API_KEY)
    monkeypatch.setenv("KRAKEN_API_SECRET", DOC_SECRET)
    monkeypatch.setenv("KRAKEN_API_URL", BASE_URL)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as kraken:
        for method, fixture in (
            ("Time", "nautilus/http_server_time.json"),
            ("SystemStatus", "nautilus/http_system_status.json"),
            ("AssetPairs", "http_asset_pairs.json"),
            ("Depth", "nautilus/http_order_book.json"),
            ("Ticker", "nautilus/http_ticker.json"),
        ):
            kraken.get(f"/0/public/{method}").mock(
                return_value=httpx.Response(200, json=load(fixture))
            )
        kraken.post("/0/private/TradeBalance").mock(return_value=fail("EAPI:Invalid key"))
        assert _example().main([]) == 1
    out = capsys.readouterr().out
    assert "(LIVE)" in out and "❌ Authentication: AuthenticationError" in out
    assert "CHECK(S) FAILED" in out and "ALL TESTS PASSED" not in out
