"""Benchmark the vectorized backtest against vectorbt and backtesting.py on the same strategy.

Strategy: long-only SMA(20)/SMA(60) crossover, all-in, 0.40 % taker fee, no slippage, orders
filled at the next bar's open. Run: ``.venv/bin/python benchmarks/bench_backtest.py``.
Part 1 uses real Kraken 1-minute BTC/USDC candles (all three engines, same trades checked);
part 2 times a year of synthetic 1-minute candles for three pairs (ours vs vectorbt; too slow
for backtesting.py). Only measured numbers are printed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from src.ml.backtest import CostModel, run_backtest
from src.ml.data.sources import read_kraken_ohlcvt_csv

FEE = 0.004
FAST, SLOW = 20, 60
DATA = Path(__file__).resolve().parents[1] / "data/market/kraken-ohlcvt-1m-btcusdc-2023q1"


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Fastest wall time of ``repeat`` calls and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def with_signal(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the crossover target (1 = long) decided at each bar's close."""
    fast = pl.col("close").rolling_mean(FAST)
    slow = pl.col("close").rolling_mean(SLOW)
    return frame.with_columns((fast > slow).fill_null(False).cast(pl.Float64).alias("target"))


def ours(frame: pl.DataFrame) -> Any:
    costs = CostModel(taker_fee=FEE, spread_bps=0.0, slippage_bps=0.0)
    return run_backtest(frame, costs=costs, initial_cash=10_000.0)


def vbt_input(frame: pl.DataFrame) -> pd.DataFrame:
    # vectorbt users pass a naive DatetimeIndex; a tz-aware one slows it ~7x (issue 19).
    pdf = frame.to_pandas().set_index("timestamp")
    pdf.index = pdf.index.tz_localize(None)
    return pdf


def vbt_run(pdf: pd.DataFrame) -> Any:
    import vectorbt as vbt

    target = pdf["target"] > 0
    # Signal at bar t's close -> fill at bar t+1's open, as in our engine.
    entries = (target & ~target.shift(1, fill_value=False)).shift(1, fill_value=False)
    exits = (~target & target.shift(1, fill_value=False)).shift(1, fill_value=False)
    return vbt.Portfolio.from_signals(
        pdf["close"], entries, exits, price=pdf["open"], fees=FEE, init_cash=10_000.0, freq="1min"
    )


def bt_input(frame: pl.DataFrame) -> pd.DataFrame:
    pdf = frame.to_pandas().set_index("timestamp")
    pdf.index = pdf.index.tz_localize(None)
    return pdf.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume", "Target"]]


def bt_run(data: pd.DataFrame) -> Any:
    from backtesting import Backtest, Strategy

    class Cross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            return None

        def next(self) -> None:
            if self.data.Target[-1] > 0 and not self.position:
                self.buy()
            elif self.data.Target[-1] <= 0 and self.position:
                self.position.close()

    # Whole units only in backtesting.py: a large balance keeps BTC position sizes non-zero.
    bt = Backtest(data, Cross, cash=1e9, commission=FEE, finalize_trades=True)
    return bt.run()


def _ours_times(result: Any) -> tuple[list[Any], list[Any]]:
    trades = result.trades
    buys = trades.filter(pl.col("side") == "buy")["timestamp"].dt.replace_time_zone(None)
    sells = trades.filter(pl.col("side") == "sell")["timestamp"].dt.replace_time_zone(None)
    return buys.to_list(), sells.to_list()


def same_trades(frame: pl.DataFrame, ours_res: Any, vbt_res: Any, bt_res: Any) -> None:
    """Print whether all three engines entered and exited at the same bars."""
    buys, sells = _ours_times(ours_res)
    rec = vbt_res.trades.records_readable
    vbt_buys = [pd.Timestamp(t).tz_localize(None).to_pydatetime() for t in rec["Entry Timestamp"]]
    vbt_sells = [pd.Timestamp(t).tz_localize(None).to_pydatetime() for t in rec["Exit Timestamp"]]
    if rec["Status"].iloc[-1] == "Open":
        vbt_sells = vbt_sells[:-1]
    trades = bt_res._trades
    bt_buys = [t.to_pydatetime() for t in trades["EntryTime"]]
    bt_sells = [t.to_pydatetime() for t in trades["ExitTime"]]
    if len(bt_sells) > len(sells):  # finalize_trades closes an open position at the end
        bt_sells = bt_sells[: len(sells)]
    print(
        f"  trades: ours {len(buys)} entries / {len(sells)} exits; vectorbt {len(vbt_buys)}; "
        f"backtesting.py {len(bt_buys)}"
    )
    print(f"  same entries and exits as vectorbt: {buys == vbt_buys and sells == vbt_sells}")
    print(f"  same entries and exits as backtesting.py: {buys == bt_buys and sells == bt_sells}")


def part_real() -> None:
    raw = read_kraken_ohlcvt_csv(DATA / "BTCUSDC_1m_2023-03-01_to_03-15.csv")
    frame = with_signal(raw)
    print(f"Part 1: real Kraken BTC/USDC 1m, {frame.height} bars")
    # Peers get their pandas inputs prepared outside the timed region.
    vbt_in, bt_in = vbt_input(frame), bt_input(frame)
    vbt_run(vbt_in.head(200))  # numba compiles on first use; do not time it
    t_ours, r_ours = best_of(lambda: ours(frame), 5)
    t_vbt, r_vbt = best_of(lambda: vbt_run(vbt_in), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_bt, r_bt = best_of(lambda: bt_run(bt_in), 1)
    same_trades(frame, r_ours, r_vbt, r_bt)
    print(
        f"  ours {t_ours * 1e3:.1f} ms | vectorbt {t_vbt * 1e3:.1f} ms | "
        f"backtesting.py {t_bt * 1e3:.1f} ms"
    )
    print(f"  ratio vectorbt/ours {t_vbt / t_ours:.1f}x, backtesting.py/ours {t_bt / t_ours:.1f}x")


def synthetic_year(pairs: int = 3, bars: int = 525_600) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    start = pl.datetime(2024, 1, 1, time_zone="UTC")
    ts = pl.datetime_range(start, start + pl.duration(minutes=bars - 1), "1m", eager=True)
    frames = []
    for i in range(pairs):
        close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.0008, bars)))
        opened = np.concatenate(([close[0]], close[:-1]))
        frame = pl.DataFrame({"timestamp": ts, "open": opened, "close": close})
        frames.append(with_signal(frame).with_columns(pl.lit(f"P{i}/USD").alias("pair")))
    return pl.concat(frames)


def part_year() -> None:
    frame = synthetic_year()
    pairs = frame["pair"].unique().to_list()
    print(f"Part 2: synthetic 1m year, {len(pairs)} pairs x {frame.height // len(pairs)} bars")
    t_ours, r_ours = best_of(lambda: ours(frame), 3)
    t_vbt = 0.0
    for pair in pairs:  # vectorbt per pair (same sleeves as ours)
        pdf = vbt_input(frame.filter(pl.col("pair") == pair))
        t, _ = best_of(partial(vbt_run, pdf), 2)
        t_vbt += t
    print(f"  ours {t_ours:.2f} s ({r_ours.trades.height} trades) | vectorbt {t_vbt:.2f} s")
    print(f"  ratio vectorbt/ours {t_vbt / t_ours:.1f}x")


if __name__ == "__main__":
    part_real()
    part_year()
