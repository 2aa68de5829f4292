"""examples/futures_trading_kraken.py: the runtime on a paper perpetual, books beside the venue."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from examples.futures_trading_kraken import main


def _no_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("KRAKEN_FUTURES_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env with keys; the database goes under tmp_path


async def test_example_trades_a_perpetual_on_paper_and_its_books_agree(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _no_keys(monkeypatch, tmp_path)
    # 600x: a candle every 0.1 s, a funding payment every 6 s; long then short every 1.5 s
    args = ["--strategy", "flip", "--hold", "15", "--speed", "600", "--duration", "8"]
    assert await main(args) == 0
    out = capsys.readouterr().out
    assert out.count("PAPER TRADING") == 2 and "[status] " in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.endswith(" ok")}
    assert {"fills", "fees", "funding", "position", "USD"} <= set(rows)
    assert int(rows["fills"][1]) >= 2  # at least the long and the short
    assert "books agree with the venue" in out and "DIFFERENT" not in out
    assert (tmp_path / "data/runtime/futures_paper.sqlite").exists()


async def test_example_trades_an_inverse_perpetual_and_compares_its_bitcoin_books(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _no_keys(monkeypatch, tmp_path)
    args = ["--symbol", "PI_XBTUSD", "--strategy", "flip", "--hold", "15", "--speed", "600",
            "--duration", "8"]  # fmt: skip
    assert await main(args) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.endswith(" ok")}
    # The comparison is in the wallet's currency: fees, funding and the balance in BTC.
    assert rows["fees"][1] == "(BTC)" and rows["funding"][1] == "(BTC)" and "BTC" in rows
    assert int(rows["fills"][1]) >= 2 and float(rows["fees"][2]) > 0
    assert "books agree with the venue" in out and "DIFFERENT" not in out
    assert "positions[PI_XBTUSD=500]" in out or "positions[PI_XBTUSD=-500]" in out
    assert " BTC, fees " in out and "valued at the last mark" in out


async def test_live_needs_the_flag_and_a_typed_live(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _no_keys(monkeypatch, tmp_path)
    monkeypatch.setenv("KRAKEN_FUTURES_ENVIRONMENT", "live")
    monkeypatch.setenv("KRAKEN_FUTURES_API_KEY", "k")
    monkeypatch.setenv("KRAKEN_FUTURES_API_SECRET", "c2VjcmV0")
    assert await main([]) == 1  # no --live: nothing is sent
    monkeypatch.setattr("builtins.input", lambda prompt: "live")  # not the capitals
    assert await main(["--live"]) == 1
    out = capsys.readouterr().out
    assert "LIVE TRADING" in out and "Futures risk limits in force:" in out
    assert "max_notional_per_contract" in out and "one order at most" in out  # spot: in words
    assert not (tmp_path / "data/runtime/futures_live.sqlite").exists()
