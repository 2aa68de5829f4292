"""examples/futures_backtest.py: what it prints is what ``run_futures_backtest`` computes.

Offline runs go through a subprocess, as a user runs it; the expected figures come from calling
``run_futures_backtest`` directly on a frame built here from the shipped file (own SMA rule,
own mark and funding columns), so a wrong rule, frame or summary shows as a mismatch. The
``--source kraken`` path runs in-process against respx replies shaped like Kraken's
(shared/kraken-futures-api.md 5.4, 5.5; instruments from the recorded fixture).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest
import respx

from examples.futures_backtest import main
from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.core.derivatives import DerivativeInstrument
from src.ml.backtest.futures import FuturesBacktestResult, FuturesCosts, run_futures_backtest
from src.ml.data.sources import read_kraken_ohlcvt_csv
from src.venues.kraken_futures_paper import FuturesPaperExchange

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "futures_backtest.py"
SPOT = ROOT / "data" / "market" / "kraken-ohlcvt-60m" / "XBTUSD_60_2021_2023.csv"
FIXTURE = ROOT / "tests" / "fixtures" / "kraken_futures" / "http_instruments.json"
START, END = datetime(2022, 3, 1, tzinfo=UTC), datetime(2022, 4, 15, tzinfo=UTC)
ARGS = ["--start", "2022-03-01", "--end", "2022-04-15", "--fast", "12", "--slow", "48",
        "--leverage", "2", "--basis", "0.0005", "--funding-rate", "0.0001"]  # fmt: skip
COLUMNS = {"final equity": "final_equity", "fees paid": "fees", "funding (+ received)": "funding",
           "fills": "fills", "liquidations": "liquidations", "PnL before costs": "pnl"}  # fmt: skip


def _run(*extra: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and example, fixed argv
        [sys.executable, str(EXAMPLE), *ARGS, *extra], cwd=cwd, capture_output=True,
        text=True, timeout=180, env=_env(),
    )  # fmt: skip


def _env() -> dict[str, str]:
    """No keys and no tracking URI from the caller's environment; the repo importable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KRAKEN_FUTURES_", "MLFLOW_"))}  # fmt: skip
    return {**env, "PYTHONPATH": str(ROOT)}


def _table(out: str) -> dict[str, tuple[float, float]]:
    """Printed figure -> (rule, buy-and-hold), numbers only."""
    found: dict[str, tuple[float, float]] = {}
    for label, key in COLUMNS.items():
        line = next(x for x in out.splitlines() if x.startswith(label))
        numbers = re.findall(r"-?[\d,]+(?:\.\d+)?", line[len(label) :])
        found[key] = (float(numbers[0].replace(",", "")), float(numbers[1].replace(",", "")))
    return found


def _sma_target(close: np.ndarray, fast: int, slow: int, leverage: float) -> np.ndarray:
    def mean(n: int) -> np.ndarray:
        out = np.full(len(close), np.nan)
        sums = np.convolve(close, np.ones(n), "valid") / n
        out[n - 1 :] = sums
        return out

    side: np.ndarray = np.nan_to_num(np.sign(mean(fast) - mean(slow)))
    return side * leverage


def _direct(contract: DerivativeInstrument, frame: pl.DataFrame, costs: FuturesCosts,
            ) -> dict[str, FuturesBacktestResult]:  # fmt: skip
    rule = frame.with_columns(
        pl.Series("target", _sma_target(frame["close"].to_numpy(), 12, 48, 2.0))
    )
    hold = frame.with_columns(pl.lit(1.0).alias("target"))
    return {
        side: run_futures_backtest(f, contract, "target", costs=costs, initial_equity=10_000.0)
        for side, f in (("rule", rule), ("hold", hold))
    }


def _pnl_from_fills(result: FuturesBacktestResult) -> float:
    trades = result.trades
    sides, quantities = trades["side"].to_list(), trades["quantity"].to_list()
    signed = [q if s == "buy" else -q for s, q in zip(sides, quantities, strict=True)]
    cash = -sum(q * p for q, p in zip(signed, trades["price"].to_list(), strict=True))
    return float(cash) + float(result.path["position"][-1]) * float(result.path["mark"][-1])


async def _venue_contract(symbol: str = "PF_XBTUSD") -> DerivativeInstrument:
    async with (
        FuturesPaperExchange(auto_tick=False) as venue,
        KrakenFuturesAdapter(base_url=venue.rest_url, settings=KrakenFuturesSettings()) as kf,
    ):
        return await kf.get_instrument(symbol)


def _check(printed: dict[str, tuple[float, float]], direct: dict[str, FuturesBacktestResult]
           ) -> None:  # fmt: skip
    for column, side in enumerate(("rule", "hold")):
        result = direct[side]
        totals = result.totals
        assert printed["final_equity"][column] == pytest.approx(totals["final_equity"], abs=0.006)
        assert printed["fees"][column] == pytest.approx(totals["fees"], abs=0.006)
        assert printed["funding"][column] == pytest.approx(totals["funding"], abs=0.006)
        assert printed["fills"][column] == result.trades.height
        assert printed["liquidations"][column] == totals["liquidations"]
        pnl = _pnl_from_fills(result)
        assert printed["pnl"][column] == pytest.approx(pnl, abs=0.006)
        # every cost counted once: start + PnL of the fills - fees + funding = final equity
        assert totals["fees"] > 0 and totals["funding"] != 0
        assert 10_000 + pnl - totals["fees"] + totals["funding"] == pytest.approx(
            totals["final_equity"], abs=1e-6
        )
    assert direct["rule"].trades.height > 2  # the rule trades both ways, not just once


async def test_offline_run_prints_what_the_backtest_computes() -> None:
    proc = _run("--no-mlflow")
    assert proc.returncode == 0, proc.stderr
    assert "OFFLINE" in proc.stdout and "STATED ASSUMPTIONS" in proc.stdout
    assert "Kraken SPOT BTC/USD" in proc.stdout
    frame = read_kraken_ohlcvt_csv(SPOT).filter(
        (pl.col("timestamp") >= START) & (pl.col("timestamp") < END)
    )
    assert frame["timestamp"].diff().drop_nulls().unique().to_list() == [timedelta(hours=1)]
    frame = frame.with_columns(
        (pl.col("close") * 1.0005).alias("mark"), pl.lit(0.0001).alias("funding_rate")
    )
    contract = await _venue_contract()
    costs = FuturesCosts(taker_fee=0.0005, slippage_bps=1.0, max_leverage=5.0)
    direct = _direct(contract, frame, costs)
    _check(_table(proc.stdout), direct)
    # positive funding: the long-only comparison pays it
    assert direct["hold"].totals["funding"] < 0


def test_run_is_logged_to_mlflow(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    proc = _run("--mlflow-uri", uri, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run_id = re.search(r"MLflow run (\w+)", proc.stdout)
    assert run_id is not None
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id.group(1))
    printed = _table(proc.stdout)
    assert run.data.metrics["final_equity"] == pytest.approx(printed["final_equity"][0], abs=0.006)
    assert run.data.metrics["hold_funding"] == pytest.approx(printed["funding"][1], abs=0.006)
    assert run.data.params["symbol"] == "PF_XBTUSD" and run.data.params["funding_rate"] == "0.0001"
    paths = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert paths == {"plots/equity.png"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--symbol", "PF_NOPE"], "unknown contract 'PF_NOPE'"),
        (["--symbol", "FF_XBTUSD_000000"], "unknown contract"),
        (["--data", "/nonexistent/XBTUSD_60.csv"], "no such file"),
    ],
)
def test_unusable_input_is_refused_clearly(extra: list[str], message: str) -> None:
    proc = _run("--no-mlflow", *extra)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_range_outside_the_data_says_what_the_data_covers() -> None:
    proc = subprocess.run(  # noqa: S603 - our own interpreter and example, fixed argv
        [sys.executable, str(EXAMPLE), "--start", "2025-01-01", "--end", "2025-02-01",
         "--no-mlflow"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=_env(),
    )  # fmt: skip
    assert proc.returncode == 2
    assert "0 bar(s)" in proc.stderr and "2021-01-01" in proc.stderr


# --- --source kraken, over respx -------------------------------------------------------------

KRAKEN = "https://futures.example"
K_START = datetime(2024, 1, 1, tzinfo=UTC)
K_HOURS = 24 * 6


def _mark(i: int) -> float:
    return 42_000 * (1 + 0.03 * math.sin(i / 9)) + 5 * i


def _rate(i: int) -> float:
    return 0.00002 if (i // 24) % 2 == 0 else -0.00001


def _charts(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    lo, hi = int(params["from"]), int(params["to"])
    candles = []
    for i in range(K_HOURS):
        t = K_START + timedelta(hours=i)
        if lo <= t.timestamp() <= hi:
            c = _mark(i)
            candles.append({"time": int(t.timestamp() * 1000), "open": str(c - 10),
                            "high": str(c + 40), "low": str(c - 60), "close": str(c),
                            "volume": "0"})  # fmt: skip
    return httpx.Response(200, json={"candles": candles, "more_candles": False})


def _funding() -> dict[str, Any]:
    rates = [
        {"timestamp": f"{K_START + timedelta(hours=i):%Y-%m-%dT%H:%M:%S}.000Z",
         "fundingRate": _rate(i) * _mark(i), "relativeFundingRate": _rate(i)}
        for i in range(K_HOURS)
    ]  # fmt: skip
    return {"result": "success", "serverTime": "2024-01-07T00:00:00.000Z", "rates": rates}


async def test_kraken_source_reads_mark_candles_and_funding_history(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with respx.mock(base_url=KRAKEN, assert_all_called=True) as mock:
        v3 = "/derivatives/api/v3"
        mock.get(f"{v3}/instruments").respond(json=json.loads(FIXTURE.read_text()))
        mock.get(f"{v3}/historical-funding-rates", params={"symbol": "PF_XBTUSD"}).respond(
            json=_funding()
        )
        mock.get(url__regex=r"/api/charts/v1/mark/PF_XBTUSD/1h").mock(side_effect=_charts)
        code = await main(["--source", "kraken", "--futures-url", KRAKEN, "--start",
                           "2024-01-01", "--end", "2024-01-07", "--fast", "12", "--slow", "48",
                           "--leverage", "2", "--no-mlflow"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "historical funding rates" in out.out and "STATED" not in out.out
    async with KrakenFuturesAdapter(base_url=KRAKEN, settings=KrakenFuturesSettings()) as kf:
        with respx.mock(base_url=KRAKEN) as mock:
            mock.get("/derivatives/api/v3/instruments").respond(
                json=json.loads(FIXTURE.read_text())
            )
            contract = await kf.get_instrument("PF_XBTUSD")
    bars = range(K_HOURS)
    frame = pl.DataFrame({
        "timestamp": [K_START + timedelta(hours=i) for i in bars],
        "open": [_mark(i) - 10 for i in bars], "high": [_mark(i) + 40 for i in bars],
        "low": [_mark(i) - 60 for i in bars], "close": [_mark(i) for i in bars],
        "mark": [_mark(i) for i in bars], "funding_rate": [_rate(i) for i in bars],
    })  # fmt: skip
    costs = FuturesCosts(taker_fee=0.0005, slippage_bps=1.0, max_leverage=5.0)
    _check(_table(out.out), _direct(contract, frame, costs))


def test_an_unreachable_kraken_host_is_a_clear_error() -> None:
    proc = subprocess.run(  # noqa: S603 - our own interpreter and example, fixed argv
        [sys.executable, str(EXAMPLE), "--source", "kraken", "--futures-url",
         "http://127.0.0.1:9", "--no-mlflow"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env=_env(),
    )  # fmt: skip
    assert proc.returncode == 1
    assert "could not read kraken data" in proc.stderr and "Traceback" not in proc.stderr
