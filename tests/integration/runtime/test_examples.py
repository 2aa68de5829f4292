"""The live-trading example: paper run stopped by Ctrl-C, and the --live safety path.

``--live`` is exercised against the local paper exchange through ``KRAKEN_API_URL`` (the
adapter's documented override), so no real order can be sent by this test.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from src.venues.kraken_paper import PaperExchange
from tests.support.paths import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RISK = str(ROOT / "config" / "risk.toml")


async def test_paper_run_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "examples" / "live_trading_kraken.py"),
        "--risk-config", RISK, "--db", str(tmp_path / "paper.sqlite"),
        cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    seen = []
    async with asyncio.timeout(60):
        while True:
            line = (await proc.stdout.readline()).decode()
            seen.append(line)
            if "equity=" in line:
                break
    proc.send_signal(signal.SIGINT)
    rest, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    out = "".join(seen) + rest.decode()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "### PAPER TRADING" in out
    assert "Session summary" in out and " NO" not in out
    assert "this session: " in out  # what the table covers, after it
    assert list((tmp_path / "logs").glob("trading_paper_*.jsonl"))


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    # In-process runs keep the session's logging as it is (the subprocess test covers logs/).
    log_file = tmp_path / "log.jsonl"
    monkeypatch.setattr("examples.live_trading_kraken.setup_logs", lambda mode: log_file)
    for name in ("KRAKEN_API_KEY", "KRAKEN_API_SECRET", "KRAKEN_API_URL", "KRAKEN_WS_AUTH_URL"):
        monkeypatch.delenv(name, raising=False)


async def test_live_without_credentials_refuses(
    live_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from examples.live_trading_kraken import main

    assert await main(["--live", "--risk-config", RISK]) == 2
    captured = capsys.readouterr()
    assert "### LIVE TRADING" in captured.out
    assert "KRAKEN_API_KEY" in captured.err


async def test_live_asks_for_typed_confirmation_and_arms_dead_mans_switch(
    live_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from examples.live_trading_kraken import main

    async with PaperExchange(speed=60) as ex:
        monkeypatch.setenv("KRAKEN_API_URL", ex.rest_url)
        # The runtime streams fills over the private socket: that too must be the paper one.
        monkeypatch.setenv("KRAKEN_WS_AUTH_URL", ex.ws_auth_url)
        monkeypatch.setenv("KRAKEN_API_KEY", ex.api_key)
        monkeypatch.setenv("KRAKEN_API_SECRET", ex.api_secret)
        monkeypatch.setattr("builtins.input", lambda prompt: "yes")  # not "LIVE"
        assert await main(["--live", "--risk-config", RISK]) == 1
        first = capsys.readouterr().out
        assert "Not confirmed" in first
        # The LIVE banner's "on Kraken" is corrected before the question: orders go elsewhere.
        assert f"NOT Kraken's host: KRAKEN_API_URL is {ex.rest_url}" in first

        armed: list[int] = []
        from src.brokers.kraken.adapter import KrakenAdapter

        real = KrakenAdapter.cancel_all_orders_after

        async def spy(self: KrakenAdapter, timeout: int) -> dict[str, object]:
            armed.append(timeout)
            return await real(self, timeout)

        monkeypatch.setattr(KrakenAdapter, "cancel_all_orders_after", spy)
        monkeypatch.setattr("builtins.input", lambda prompt: "LIVE")
        assert await main(["--live", "--risk-config", RISK, "--duration", "1"]) == 0
    out = capsys.readouterr().out
    assert "one order at most 250 USD" in out  # the limits were shown, in words, before confirming
    assert "ok       query funds" in out
    assert armed[0] == 60 and armed[-1] == 0  # armed at start, disarmed on exit


async def test_paper_replay_speed_follows_the_model_interval_not_the_interval_option(
    live_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import examples.live_trading_kraken as example
    from src.app.session import paper_venue as real
    from src.core.strategy import MovingAverageCross

    # Stands in for a registered model trained on 4-hour candles (the option says 1 minute).
    four_hourly = MovingAverageCross(["BTC/USD"], fast=3, slow=8, interval_minutes=240)
    monkeypatch.setattr(example, "make_strategy", lambda args: four_hourly)
    speeds: list[float] = []

    def spy(*, mirror: bool, speed: float, settings: object) -> object:
        speeds.append(speed)
        return real(mirror=mirror, speed=speed, settings=settings)  # type: ignore[arg-type]

    monkeypatch.setattr(example, "paper_venue", spy)
    argv = ["--strategy", "model", "--interval", "1", "--risk-config", RISK, "--duration", "1"]
    assert await example.main([*argv, "--symbols", "BTC/USD"]) == 0
    assert speeds == [240 * 60]  # one four-hour candle a second
    assert "Session summary" in capsys.readouterr().out
