"""Benchmark: the polars feature pipeline against pandas + ``ta`` computing the same features.

Both sides compute the default spec with BTC/USD cross-pair features on Kraken's real hourly
XBT/USD and ETH/USD candles (data/market/kraken-ohlcvt-60m, ~37k rows): returns, realized
volatility, RSI, MACD, ATR, Bollinger %B, volume z-score, candle shape, time of day/week, 4h
returns and RSI joined as-of the 4h bar's close, and BTC's returns/volatility on every row.
The pandas side uses ``ta`` for RSI, MACD, ATR and %B. Before timing, the two outputs are
compared column by column, so the ratio is for the same numbers. ``--copies N`` also times N
copies of each pair (renamed, so more pairs of the same real data).

Both sides run in alternating rounds; the medians, their interquartile ranges and the ratio of
the medians are printed, with each round's own ratio (both sides back to back under about the
same machine load).

Run: ``.venv/bin/python benchmarks/bench_features.py [--copies 8] [--repeat 21]`` (~60 s).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import ta
from tqdm import tqdm

from src.ml.data import read_kraken_ohlcvt_csv
from src.ml.features import FeatureSpec, build_features, default_spec

DATA = Path(__file__).resolve().parents[1] / "data" / "market" / "kraken-ohlcvt-60m"
REF = "BTC/USD"


def load(copies: int) -> pl.DataFrame:
    """Real BTC/USD and ETH/USD hourly candles, each repeated ``copies`` times as a new pair."""
    frames = []
    for name, pair in (("XBTUSD", REF), ("ETHUSD", "ETH/USD")):
        base = read_kraken_ohlcvt_csv(DATA / f"{name}_60_2021_2023.csv")
        for i in range(copies):
            label = pair if i == 0 else f"{pair}#{i}"
            frames.append(base.with_columns(pair=pl.lit(label)))
    return pl.concat(frames).drop("trades")


def _own_features(g: pd.DataFrame) -> pd.DataFrame:
    """The base-timeframe features of the default spec for one pair, in pandas + ta."""
    c, h, lo, o, v = g["close"], g["high"], g["low"], g["open"], g["volume"]
    out = pd.DataFrame(index=g.index)
    for n in (1, 4, 24):
        out[f"ret_{n}"] = np.log(c / c.shift(n))
    out["rvol_24"] = np.log(c).diff().rolling(24).std()
    out["rsi_14"] = ta.momentum.RSIIndicator(c, window=14).rsi()
    macd = ta.trend.MACD(c, window_slow=26, window_fast=12, window_sign=9)
    out["macd_12_26_9_rel"] = macd.macd() / c
    out["macd_signal_12_26_9_rel"] = macd.macd_signal() / c
    out["macd_hist_12_26_9_rel"] = macd.macd_diff() / c
    atr = ta.volatility.AverageTrueRange(h, lo, c, window=14).average_true_range()
    out["natr_14"] = (atr / c).where(np.arange(len(c)) >= 13)
    out["bb_pctb_20"] = ta.volatility.BollingerBands(c, 20, 2).bollinger_pband()
    out["vol_z_24"] = (v - v.rolling(24).mean()) / v.rolling(24).std()
    rng = (h - lo).replace(0, np.nan)
    out["body"] = ((c - o) / rng).fillna(0.0)
    out["upper_wick"] = ((h - np.maximum(o, c)) / rng).fillna(0.0)
    out["lower_wick"] = ((np.minimum(o, c) - lo) / rng).fillna(0.0)
    out["range_rel"] = (h - lo) / c
    ts = g["timestamp"]
    day = (ts.dt.hour * 60 + ts.dt.minute) / 1440.0
    week = (ts.dt.day_of_week + day) / 7.0
    out["tod_sin"], out["tod_cos"] = np.sin(2 * np.pi * day), np.cos(2 * np.pi * day)
    out["dow_sin"], out["dow_cos"] = np.sin(2 * np.pi * week), np.cos(2 * np.pi * week)
    return out


def _four_hour(g: pd.DataFrame) -> pd.DataFrame:
    """4h returns and RSI, keyed by the 4h bar's close time."""
    bars = (
        g.set_index("timestamp")
        .resample("4h", label="left", closed="left")
        .agg({"close": "last"})
        .dropna()
    )
    c = bars["close"]
    out = pd.DataFrame({"known_at": bars.index + pd.Timedelta(hours=4)})
    out["ret_1_4h"] = np.log(c / c.shift(1)).to_numpy()
    out["ret_6_4h"] = np.log(c / c.shift(6)).to_numpy()
    out["rsi_14_4h"] = ta.momentum.RSIIndicator(c, window=14).rsi().to_numpy()
    return out


def pandas_features(candles: pd.DataFrame) -> pd.DataFrame:
    """The same frame as ``build_features(candles, default_spec(REF))``, via pandas + ta."""
    parts = []
    for pair, g in candles.sort_values(["pair", "timestamp"]).groupby("pair", sort=True):
        g = g.reset_index(drop=True)
        feats = pd.concat([g[["pair", "timestamp"]], _own_features(g)], axis=1)
        feats["known_at"] = feats["timestamp"] + pd.Timedelta(hours=1)
        feats = pd.merge_asof(feats, _four_hour(g), on="known_at", direction="backward")
        parts.append(feats.drop(columns="known_at"))
        del pair
    out = pd.concat(parts, ignore_index=True)
    ref = out.loc[out["pair"] == REF, ["timestamp", "ret_1", "ret_4", "rvol_24"]]
    ref = ref.rename(columns={c: f"btc_{c}" for c in ("ret_1", "ret_4", "rvol_24")})
    return out.merge(ref, on="timestamp", how="left")


def check_same(ours: pl.DataFrame, theirs: pd.DataFrame, spec: FeatureSpec) -> float:
    """Largest absolute difference over all feature columns (NaN positions must agree)."""
    worst = 0.0
    for name in spec.column_names():
        a = ours[name].to_numpy()
        b = theirs[name].to_numpy(dtype=float)
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            raise AssertionError(f"{name}: warm-up/null rows differ between the two pipelines")
        worst = max(worst, float(np.nanmax(np.abs(a - b))))
    return worst


def timings(fns: list[Callable[[], object]], repeat: int) -> list[list[float]]:
    """Wall times (s) of each function over ``repeat`` rounds.

    The functions take turns within each round, so a burst of load from other processes on a
    shared machine hits both sides alike instead of skewing one of them.
    """
    times: list[list[float]] = [[] for _ in fns]
    for _ in tqdm(range(repeat), desc="rounds", leave=False):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return times


def _spread(values: list[float], scale: float = 1.0) -> str:
    """Median with the interquartile range, e.g. ``12.3 [11.9-13.0]``."""
    q1, med, q3 = np.percentile(np.asarray(values) * scale, [25, 50, 75])
    return f"{med:7.1f} [{q1:.1f}-{q3:.1f}]"


def run(copies: int, repeat: int) -> None:
    """Time both pipelines on the same data and print the ratio of the medians."""
    candles = load(copies)
    frame = candles.to_pandas()
    spec = default_spec(reference_pair=REF)
    ours = build_features(candles, spec)
    theirs = pandas_features(frame)
    diff = check_same(ours, theirs, spec)
    t_polars, t_pandas = timings(
        [lambda: build_features(candles, spec), lambda: pandas_features(frame)], repeat
    )
    # Each round's own ratio: both sides ran back to back, so they saw about the same load.
    per_round = [b / a for a, b in zip(t_polars, t_pandas, strict=True)]
    pairs = candles["pair"].n_unique()
    print(
        f"{candles.height:>8} rows, {pairs:>2} pairs, {len(spec.column_names())} features | "
        f"polars {_spread(t_polars, 1e3)} ms | pandas+ta {_spread(t_pandas, 1e3)} ms | "
        f"ratio of medians {np.median(t_pandas) / np.median(t_polars):5.1f}x | "
        f"per-round ratio {_spread(per_round)}x | max |diff| {diff:.1e}"
    )


def main() -> None:
    """Parse arguments and run the benchmark at 1x and the requested scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8, help="copies of each pair to time too")
    parser.add_argument("--repeat", type=int, default=21, help="rounds (medians are reported)")
    args = parser.parse_args()
    print(
        "feature pipeline (polars) vs pandas + ta, same data, same run; "
        "median [interquartile range] over alternating rounds"
    )
    run(1, args.repeat)
    if args.copies > 1:
        run(args.copies, args.repeat)


if __name__ == "__main__":
    main()
