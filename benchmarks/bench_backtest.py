"""Benchmark the vectorized backtest against vectorbt and backtesting.py on the same strategy.

Strategy: long-only SMA(20)/SMA(60) crossover, all-in, taker fee, no slippage, orders filled
at the next bar's open. Run: ``.venv/bin/python benchmarks/bench_backtest.py``.
Part 1 uses real Kraken 1-minute BTC/USDC candles at 0.40 % (all engines); part 2 times a year
of synthetic 1-minute candles for three pairs (ours, vectorbt and the plain numpy loop of
``numpy_loop_backtest.py``; too slow for backtesting.py) at 0.01 %. At 0.40 % this strategy
fees each sleeve down to 5.5e-7 USD by 2024-07-30 and about 2e-14 USD by December; vectorbt
then parts from every exact engine by its own thresholds: its default ``min_size`` (1e-8
units) rejects entries from 2024-07-30 (set to 0 here, as ours has no minimum without
instruments), and its float tolerance (``abs_tol`` 1e-12) treats cash under 1e-12 as none,
which ends its entries after 4,133 of the first pair's 5,076 (with ``init_cash`` 1e40 all
match). Each engine gets its input the way its users build it, prepared outside the timed
region. Identical entries, exits, quantities, prices and equity are asserted (the run fails
otherwise); only measured numbers are printed.
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

from benchmarks.numpy_loop_backtest import LoopResult, numpy_loop_backtest
from src.ml.backtest import CostModel, run_backtest
from src.ml.data.sources import read_kraken_ohlcvt_csv

FEE = 0.004
YEAR_FEE = 0.0001
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


def ours(frame: pl.DataFrame, fee: float = FEE, sleeves: int = 1) -> Any:
    """Our engine, 10,000 a pair (``sleeves`` pairs), as vectorbt and the loop get per pair."""
    costs = CostModel(taker_fee=fee, spread_bps=0.0, slippage_bps=0.0)
    return run_backtest(frame, costs=costs, initial_cash=10_000.0 * sleeves)


def loop_input(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return frame["open"].to_numpy(), frame["close"].to_numpy(), frame["target"].to_numpy()


def loop_run(arrays: tuple[np.ndarray, np.ndarray, np.ndarray], fee: float = FEE) -> LoopResult:
    return numpy_loop_backtest(*arrays, fee=fee, cash=10_000.0)


def vbt_input(frame: pl.DataFrame) -> pd.DataFrame:
    # vectorbt users pass a naive DatetimeIndex; a tz-aware one slows it ~7x (issue 19).
    pdf = frame.to_pandas().set_index("timestamp")
    pdf.index = pdf.index.tz_localize(None)
    return pdf


def vbt_run(pdf: pd.DataFrame, fee: float = FEE) -> Any:
    import vectorbt as vbt

    target = pdf["target"] > 0
    # Signal at bar t's close -> fill at bar t+1's open, as in our engine.
    entries = (target & ~target.shift(1, fill_value=False)).shift(1, fill_value=False)
    exits = (~target & target.shift(1, fill_value=False)).shift(1, fill_value=False)
    # min_size=0: ours has no minimum order size without instruments; vectorbt's default
    # (1e-8 units) rejects orders once a sleeve fees itself down to fractions of a cent.
    return vbt.Portfolio.from_signals(pdf["close"], entries, exits, price=pdf["open"], fees=fee,
                                      init_cash=10_000.0, freq="1min", min_size=0.0)  # fmt: skip


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


def _vbt_times(vbt_res: Any) -> tuple[list[Any], list[Any]]:
    rec = vbt_res.trades.records_readable
    buys = [pd.Timestamp(t).tz_localize(None).to_pydatetime() for t in rec["Entry Timestamp"]]
    sells = [pd.Timestamp(t).tz_localize(None).to_pydatetime() for t in rec["Exit Timestamp"]]
    if len(rec) and rec["Status"].iloc[-1] == "Open":
        sells = sells[:-1]
    return buys, sells


def _loop_times(frame: pl.DataFrame, res: LoopResult) -> tuple[list[Any], list[Any]]:
    stamps = frame["timestamp"].dt.replace_time_zone(None)
    return stamps.gather(res.entries).to_list(), stamps.gather(res.exits).to_list()


def assert_same(frame: pl.DataFrame, ours_res: Any, vbt_res: Any, loop_res: LoopResult) -> int:
    """Assert ours, vectorbt and the numpy loop entered and exited at the same bars, with the
    same quantities and prices as vectorbt, and the same equity at every close; the number of
    entries."""
    buys, sells = _ours_times(ours_res)
    assert (buys, sells) == _vbt_times(vbt_res), "ours and vectorbt trade differently"
    assert (buys, sells) == _loop_times(frame, loop_res), "ours and the numpy loop differ"
    rec = vbt_res.trades.records_readable
    trades = ours_res.trades
    bought, sold = trades.filter(pl.col("side") == "buy"), trades.filter(pl.col("side") == "sell")
    closed = rec["Status"] == "Closed"
    close = partial(np.testing.assert_allclose, rtol=1e-9, atol=0.0)
    close(bought["quantity"].to_numpy(), rec["Size"].to_numpy(), err_msg="entry quantities")
    close(bought["price"].to_numpy(), rec["Avg Entry Price"].to_numpy(), err_msg="entry prices")
    close(sold["quantity"].to_numpy(), rec["Size"][closed].to_numpy(), err_msg="exit quantities")
    close(sold["price"].to_numpy(), rec["Avg Exit Price"][closed].to_numpy(), err_msg="exits")
    equity = ours_res.equity["equity"].to_numpy()
    close(equity, vbt_res.value().to_numpy(), rtol=1e-6, err_msg="equity vs vectorbt")
    close(equity, loop_res.equity, err_msg="equity vs the numpy loop")
    return len(buys)


def same_as_backtesting_py(ours_res: Any, bt_res: Any) -> bool:
    buys, sells = _ours_times(ours_res)
    trades = bt_res._trades
    bt_buys = [t.to_pydatetime() for t in trades["EntryTime"]]
    bt_sells = [t.to_pydatetime() for t in trades["ExitTime"]]
    if len(bt_sells) > len(sells):  # finalize_trades closes an open position at the end
        bt_sells = bt_sells[: len(sells)]
    return buys == bt_buys and sells == bt_sells


def part_real() -> None:
    raw = read_kraken_ohlcvt_csv(DATA / "BTCUSDC_1m_2023-03-01_to_03-15.csv")
    frame = with_signal(raw)
    print(f"Part 1: real Kraken BTC/USDC 1m, {frame.height} bars, fee {FEE:.2%}")
    # Peers get their inputs prepared outside the timed region.
    vbt_in, bt_in, loop_in = vbt_input(frame), bt_input(frame), loop_input(frame)
    vbt_run(vbt_in.head(200))  # numba compiles on first use; do not time it
    t_ours, r_ours = best_of(lambda: ours(frame), 20)
    t_vbt, r_vbt = best_of(lambda: vbt_run(vbt_in), 10)
    t_loop, r_loop = best_of(lambda: loop_run(loop_in), 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_bt, r_bt = best_of(lambda: bt_run(bt_in), 1)
    entries = assert_same(frame, r_ours, r_vbt, r_loop)
    print(
        f"  identical entries and exits ({entries}), quantities and prices (vectorbt) and "
        f"equity at every close: ours, vectorbt, numpy loop; backtesting.py's entries and "
        f"exits too: {same_as_backtesting_py(r_ours, r_bt)}"
    )
    print(
        f"  ours {t_ours * 1e3:.2f} ms | vectorbt {t_vbt * 1e3:.2f} ms | numpy loop "
        f"{t_loop * 1e3:.2f} ms | backtesting.py {t_bt * 1e3:.0f} ms"
    )
    print(f"  ratio vectorbt/ours {t_vbt / t_ours:.1f}x, ours/numpy loop {t_ours / t_loop:.1f}x, "
          f"backtesting.py/ours {t_bt / t_ours:.0f}x")  # fmt: skip


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
    pairs = frame["pair"].unique(maintain_order=True).to_list()
    print(f"Part 2: synthetic 1m year, {len(pairs)} pairs x {frame.height // len(pairs)} bars, "
          f"fee {YEAR_FEE:.2%}")  # fmt: skip
    t_ours, r_ours = best_of(lambda: ours(frame, YEAR_FEE, len(pairs)), 5)
    t_vbt = t_loop = 0.0
    entries = 0
    for pair in pairs:  # vectorbt and the loop per pair (the same sleeves as ours)
        part = frame.filter(pl.col("pair") == pair)
        pdf, arrays = vbt_input(part), loop_input(part)
        vbt_run(pdf.head(200), YEAR_FEE)
        t, r_vbt = best_of(partial(vbt_run, pdf, YEAR_FEE), 3)
        t_vbt += t
        t, r_loop = best_of(partial(loop_run, arrays, YEAR_FEE), 3)
        t_loop += t
        alone = ours(part, YEAR_FEE)
        entries += assert_same(part, alone, r_vbt, r_loop)
        # The three-sleeve run trades each pair exactly as that pair run alone.
        mine = r_ours.trades.filter(pl.col("pair") == pair)
        assert mine.equals(alone.trades), f"{pair}: the multi-pair run trades differently"
        column = f"equity_{pair}"
        assert r_ours.equity[column].equals(alone.equity[column]), f"{pair}: sleeve equity"
    assert entries == r_ours.trades.filter(pl.col("side") == "buy").height
    print(
        f"  identical entries and exits ({entries}), quantities and prices (vectorbt) and "
        "equity at every close per pair: ours, vectorbt, numpy loop; the 3-pair run's "
        "trades and sleeve equity equal each pair's alone"
    )
    print(
        f"  ours {t_ours * 1e3:.1f} ms ({r_ours.trades.height} fills) | vectorbt "
        f"{t_vbt * 1e3:.1f} ms | numpy loop {t_loop * 1e3:.1f} ms"
    )
    print(f"  ratio vectorbt/ours {t_vbt / t_ours:.1f}x, ours/numpy loop {t_ours / t_loop:.1f}x")


if __name__ == "__main__":
    part_real()
    part_year()
