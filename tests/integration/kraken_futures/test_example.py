"""examples/futures_paper.py runs on paper without credentials and says PAPER."""

from __future__ import annotations

import os

import pytest

from examples.futures_paper import main


async def test_example_trades_on_paper(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    for name in list(os.environ):
        if name.startswith("KRAKEN_FUTURES_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no .env with keys
    assert await main(["--seconds", "0"]) == 0
    out = capsys.readouterr().out
    assert "PAPER TRADING" in out and "closed: filled" in out and "2 fills" in out


async def test_live_needs_the_flag(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("KRAKEN_FUTURES_ENVIRONMENT", "live")
    monkeypatch.setenv("KRAKEN_FUTURES_API_KEY", "k")
    monkeypatch.setenv("KRAKEN_FUTURES_API_SECRET", "c2VjcmV0")
    assert await main([]) == 1  # nothing is sent without --live and a typed LIVE
