"""examples/multi_exchange.py runs the guide's example against local venues without credentials."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.support.paths import EXAMPLES

EXAMPLE = EXAMPLES / "multi_exchange.py"
VARS = (
    "ALPACA_API_KEY",
    "ALPACA_API_SECRET",
    "ALPACA_BASE_URL",
    "KRAKEN_API_KEY",
    "KRAKEN_API_SECRET",
    "KRAKEN_API_URL",
)


async def test_multi_exchange_example_uses_local_venues(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in VARS:  # set then delete, so the example's changes are undone afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    spec = importlib.util.spec_from_file_location("multi_exchange_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await module.main(live_kraken=False)
    out = capsys.readouterr().out
    assert "Alpaca: LOCAL simulator" in out and "Kraken: LOCAL paper exchange" in out
    assert "Alpaca: AAPL buy 10 -> filled" in out
    assert "Kraken: BTC/USD buy 0.001 ->" in out and "not found" not in out
